using Azure;
using Azure.Data.Tables;

namespace Idempotency.Tables;

/// <summary>How a handler holds its key while it runs.</summary>
public enum IdempotencyMode
{
    /// <summary>
    /// The key is claimed (an in-progress record inserted) before the handler runs, and the outcome is stored after it:
    /// for handlers with an effect outside their own entity group transaction (for example a uniqueness claim in another partition). A duplicate
    /// that arrives while the first attempt runs gets 409 in progress.
    /// </summary>
    ClaimFirst,

    /// <summary>
    /// No claim: the record, carrying a fresh attempt id, is inserted in the handler's own entity group transaction
    /// (or an expired record is replaced there with its ETag). Only for handlers whose one effect is that transaction:
    /// of concurrent duplicates one transaction commits and the others answer its outcome.
    /// </summary>
    Claimless,
}

/// <summary>
/// Ownership of one key while a handler runs. Claim-first: the owner executes, then either completes (the outcome is
/// stored for replays) or releases (a retry executes again); every change is conditional on <see cref="ETag"/>, so once
/// another attempt took the key over, this lease can no longer change the record. Claimless: the lease owns nothing
/// yet; <see cref="SubmitAsync"/> writes the record with the handler's transaction, and the first transaction wins.
/// </summary>
public sealed class IdempotencyLease
{
    private readonly IdempotencyStore _store;

    internal IdempotencyLease(
        IdempotencyStore store, IdempotencyMode mode, IdempotencyRecordKey recordKey, string subject, IdempotencyKey key,
        RequestFingerprint fingerprint, string attemptId, string generation, int execution, DateTimeOffset lockedUntil, ETag? etag)
    {
        _store = store;
        Mode = mode;
        RecordKey = recordKey;
        Subject = subject;
        Key = key;
        Fingerprint = fingerprint;
        AttemptId = attemptId;
        Generation = generation;
        Execution = execution;
        LockedUntil = lockedUntil;
        ETag = etag;
    }

    /// <summary>How this lease holds its key.</summary>
    public IdempotencyMode Mode { get; }

    /// <summary>Where the key's record lives (partition, row, scope hash).</summary>
    public IdempotencyRecordKey RecordKey { get; }

    /// <summary>The record's partition: a resource written in the same transaction as the completion must use it.</summary>
    public string PartitionKey => RecordKey.PartitionKey;

    /// <summary>The record's row key.</summary>
    public string RowKey => RecordKey.RowKey;

    /// <summary>
    /// What a handler derives its resource id from. The same across a takeover (the taker continues what the crashed
    /// attempt began); new whenever the key starts over (its record was new, expired or reaped), so a key reused after
    /// its retention creates a new resource and never collides with the old one. Claimless: new on every attempt.
    /// </summary>
    public string ResourceSeed => RowKey + "\n" + Generation;

    /// <summary>The record's ETag as this lease last wrote it; null for a claimless lease, which has written nothing.</summary>
    public ETag? ETag { get; private set; }

    /// <summary>1 for the first execution of this key; more when this attempt took over after a crashed one.</summary>
    public int Execution { get; }

    /// <summary>True when an earlier attempt claimed the key and never finished: its effects may be partly done.</summary>
    public bool IsTakeover => Execution > 1;

    /// <summary>Until when the claim is exclusive; after that a retry may take the key over.</summary>
    public DateTimeOffset LockedUntil { get; }

    /// <summary>Claim-first: when the claimed record's retention ends, which names its expiry entry (released with it).</summary>
    internal DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Where the lease stands.</summary>
    public IdempotencyLeaseState State { get; private set; } = IdempotencyLeaseState.Active;

    /// <summary>
    /// Lets a handler that only sees the lease (an HTTP function behind the middleware) say whether its response is a
    /// final outcome to store or a transient one to forget; a retention set on <see cref="HandlerResult"/> wins.
    /// </summary>
    public ResponseRetention Retention { get; set; }

    /// <summary>
    /// The table holding the record, where <see cref="SubmitAsync"/> commits the handler's actions: the only way to write
    /// a resource together with its record. Which table that is, is registered per function at start.
    /// </summary>
    public string TableName => _store.Table.Name;

    internal string Subject { get; }

    internal IdempotencyKey Key { get; }

    internal RequestFingerprint Fingerprint { get; }

    /// <summary>The attempt id of this lease's last record write known to have landed.</summary>
    internal string AttemptId { get; private set; }

    internal string Generation { get; }

    /// <summary>When <see cref="State"/> is <see cref="IdempotencyLeaseState.Answered"/>: what the key answers instead of this attempt.</summary>
    internal ClaimOutcome? Answer { get; private set; }

    /// <summary>Stores the outcome (claim-first). Returns <see cref="LeaseCompletion.LeaseLost"/> when a takeover got there first.</summary>
    public async Task<LeaseCompletion> CompleteAsync(StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        EnsureActive();
        if (Mode != IdempotencyMode.ClaimFirst)
        {
            throw new InvalidOperationException("A claimless lease stores its outcome with SubmitAsync.");
        }

        var (completion, etag, attemptId) = await _store.CompleteAsync(this, response, cancellationToken);
        if (completion == LeaseCompletion.Completed)
        {
            ETag = etag;
            AttemptId = attemptId;
            State = IdempotencyLeaseState.Completed;
        }
        else
        {
            State = IdempotencyLeaseState.Lost;
        }

        return completion;
    }

    /// <summary>Deletes the record (only if this lease still owns it), so that a retry executes again.</summary>
    public async Task<LeaseRelease> ReleaseAsync(CancellationToken cancellationToken)
    {
        EnsureActive();
        if (Mode != IdempotencyMode.ClaimFirst)
        {
            State = IdempotencyLeaseState.Released; // nothing was written
            return LeaseRelease.Released;
        }

        var release = await _store.ReleaseAsync(this, cancellationToken);
        State = release == LeaseRelease.Released ? IdempotencyLeaseState.Released : IdempotencyLeaseState.Lost;
        return release;
    }

    /// <summary>
    /// Commits the handler's own entity group transaction (<paramref name="actions"/>: same table, same
    /// <see cref="PartitionKey"/>) together with the key's record holding <paramref name="response"/>, at no extra
    /// storage transaction. Returns <see cref="BatchCommit.Committed"/> when this attempt's transaction is durable
    /// (also when its answer was lost and the SDK's retry failed on it: the record then carries this write's attempt id),
    /// and <see cref="BatchCommit.Answered"/> when the key belongs to another attempt: nothing of the transaction was
    /// written, and the idempotency layer answers for the key (the stored outcome, 422 for a different request, or 409
    /// in progress when a takeover owns it). Other storage errors propagate; the transaction then wrote nothing.
    /// </summary>
    public async Task<BatchCommit> SubmitAsync(IReadOnlyList<TableTransactionAction> actions, StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(response);
        EnsureActive();
        var submission = await _store.SubmitAsync(this, actions, response, cancellationToken);
        if (submission.Answer is { } answer)
        {
            Answer = answer;
            State = IdempotencyLeaseState.Answered;
            return BatchCommit.Answered;
        }

        AttemptId = submission.AttemptId;
        ETag = submission.RecordETag;
        State = IdempotencyLeaseState.CompletedByHandler;
        return BatchCommit.Committed;
    }

    private void EnsureActive()
    {
        if (State != IdempotencyLeaseState.Active)
        {
            throw new InvalidOperationException($"This idempotency lease is already {State}; a lease is completed or released once.");
        }
    }
}

/// <summary>What <see cref="IdempotencyLease.SubmitAsync"/> did with the handler's transaction.</summary>
public enum BatchCommit
{
    /// <summary>This attempt's transaction and its recorded outcome are durable.</summary>
    Committed,

    /// <summary>Nothing was written: the key's answer belongs to another attempt (or another request), and the idempotency layer gives it.</summary>
    Answered,
}
