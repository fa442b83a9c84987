namespace Idempotency.Tables;

/// <summary>
/// Where keys are claimed and outcomes kept. <see cref="IdempotencyStore"/> implements it on Table Storage, and on an
/// <see cref="InMemoryTable"/> in memory with the same conditional-write answers; both pass one contract suite.
/// What a claim leads to (complete, release, the handler's transaction) goes through the lease it hands out.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>The settings the store applies (lock, retention, the largest storable response).</summary>
    IdempotencyOptions Options { get; }

    /// <summary>Claims <paramref name="key"/> for <paramref name="subject"/> with a conditional insert: the claim, or what the key answers instead.</summary>
    Task<ClaimOutcome> ClaimAsync(string subject, IdempotencyKey key, RequestFingerprint fingerprint, CancellationToken cancellationToken);

    /// <summary>A claimless lease: nothing is written until the handler submits its transaction, which carries the record.</summary>
    IdempotencyLease BeginClaimless(string subject, IdempotencyKey key, RequestFingerprint fingerprint);
}
