using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Payments.Core.Idempotency;

/// <summary>
/// Claims, completes and releases idempotency keys in one table with conditional writes only: a claim is an insert
/// (409 when the key exists), every change after that is conditional on the ETag the writer last saw (412 when
/// someone else changed it). Nothing reads first and then decides to write unconditionally.
/// </summary>
/// <remarks>
/// Which table is a constructor argument: a resource-creating handler keeps its records in the table and partition of
/// the resource it creates, so its completion rides in its own entity group transaction.
/// Storage failures (unreachable, 5xx) propagate as exceptions; <see cref="IdempotentRequestProcessor"/> maps them.
/// </remarks>
public sealed class IdempotencyStore
{
    /// <summary>How often one claim re-evaluates after losing a race (a 404 or 412 between its steps).</summary>
    internal const int MaxClaimRounds = 5;

    /// <summary>
    /// What a duplicate of a running request is told to wait. Most attempts finish within a second; the lock (which
    /// only matters after a crash) is reported separately, so clients are not told to wait 30 s for a 200 ms request.
    /// </summary>
    internal static readonly TimeSpan InProgressRetryAfter = TimeSpan.FromSeconds(1);

    private readonly IdempotencyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public IdempotencyStore(TableClient table, IdempotencyOptions options, TimeProvider time, ILogger<IdempotencyStore> logger)
    {
        Table = table ?? throw new ArgumentNullException(nameof(table));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public TableClient Table { get; }

    public IdempotencyOptions Options => _options;

    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="subject"/>. A first request costs one transaction (the insert);
    /// a replay, a mismatch or an in-progress answer costs two (the failed insert and one point read).
    /// </summary>
    public async Task<ClaimOutcome> ClaimAsync(string subject, IdempotencyKey key, RequestFingerprint fingerprint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(fingerprint);
        var recordKey = IdempotencyRecordKey.For(subject, key);
        var subjectId = IdempotencyRecordKey.SubjectLogId(subject);
        // One id for every write of this claim: if a write happened but its answer was lost, the next round
        // recognizes the record as its own instead of answering "in progress" to itself.
        var claimId = Guid.NewGuid().ToString("N");

        for (var round = 0; round < MaxClaimRounds; round++)
        {
            var now = _time.GetUtcNow();
            var fresh = IdempotencyRecord.InProgress(recordKey, subject, key, fingerprint, claimId, 1, now, _options);
            try
            {
                var added = await Table.AddEntityAsync(fresh, cancellationToken);
                return Claimed(recordKey, subjectId, subject, key, fingerprint, claimId, 1, now + _options.Lock, added.Headers.ETag);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // The key exists: fall through to look at it.
            }

            var read = await Table.GetEntityIfExistsAsync<TableEntity>(recordKey.PartitionKey, recordKey.RowKey, cancellationToken: cancellationToken);
            if (!read.HasValue)
            {
                continue; // reaped or released between our insert and our read: insert again
            }

            var existing = IdempotencyRecord.Read(read.Value!);
            now = _time.GetUtcNow();
            if (existing.ClaimId == claimId && !existing.IsCompleted)
            {
                return Claimed(recordKey, subjectId, subject, key, fingerprint, claimId, existing.Executions, existing.LockedUntil, existing.ETag);
            }

            if (existing.ExpiresAt <= now)
            {
                // Past retention the record counts as absent, whatever it held.
                var replaced = await TryReplaceAsync(IdempotencyRecord.InProgress(recordKey, subject, key, fingerprint, claimId, 1, now, _options), existing.ETag, cancellationToken);
                if (replaced is ETag etag)
                {
                    _logger.ExpiredReplaced(recordKey.LogId, subjectId, existing.ExpiresAt);
                    return Claimed(recordKey, subjectId, subject, key, fingerprint, claimId, 1, now + _options.Lock, etag);
                }

                continue;
            }

            if (existing.Fingerprint != fingerprint.Value || existing.Subject != subject || existing.Key != key.Value)
            {
                return new ClaimOutcome.Mismatch();
            }

            if (existing.IsCompleted)
            {
                return new ClaimOutcome.Replay(existing.Response!);
            }

            if (existing.LockedUntil > now)
            {
                return new ClaimOutcome.InProgress(InProgressRetryAfter, existing.LockedUntil);
            }

            // The attempt that claimed it stopped renewing: it crashed or is far too slow. Exactly one taker wins the ETag.
            var execution = existing.Executions + 1;
            var takeover = await TryReplaceAsync(
                IdempotencyRecord.InProgress(recordKey, subject, key, fingerprint, claimId, execution, now, _options), existing.ETag, cancellationToken);
            if (takeover is ETag takenETag)
            {
                _logger.TakenOver(recordKey.LogId, subjectId, existing.LockedUntil, execution);
                return Claimed(recordKey, subjectId, subject, key, fingerprint, claimId, execution, now + _options.Lock, takenETag);
            }
        }

        // Lost every race in a row: others are actively working on this key.
        return new ClaimOutcome.InProgress(InProgressRetryAfter, _time.GetUtcNow() + InProgressRetryAfter);
    }

    internal async Task<(LeaseCompletion Completion, ETag ETag)> CompleteAsync(IdempotencyLease lease, StoredResponse response, CancellationToken cancellationToken)
    {
        EnsureStorable(response);
        try
        {
            var updated = await Table.UpdateEntityAsync(CompletedEntity(lease, response), lease.ETag, TableUpdateMode.Replace, cancellationToken);
            return (LeaseCompletion.Completed, updated.Headers.ETag ?? default);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            // A 412 can also mean our own write went through and only its answer was lost (the SDK retried with the
            // old ETag). One read tells the two apart; this costs a transaction only on this rare path.
            var read = await Table.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, lease.RowKey, cancellationToken: cancellationToken);
            if (read.HasValue && IdempotencyRecord.Read(read.Value!) is { IsCompleted: true } record && record.ClaimId == lease.ClaimId)
            {
                return (LeaseCompletion.Completed, record.ETag);
            }

            return (LeaseCompletion.LeaseLost, default);
        }
    }

    internal async Task<LeaseRelease> ReleaseAsync(IdempotencyLease lease, CancellationToken cancellationToken)
    {
        try
        {
            var deleted = await Table.DeleteEntityAsync(lease.PartitionKey, lease.RowKey, lease.ETag, cancellationToken);
            return deleted.Status == 404 ? LeaseRelease.LeaseLost : LeaseRelease.Released;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return LeaseRelease.LeaseLost;
        }
    }

    internal TableEntity CompletedEntity(IdempotencyLease lease, StoredResponse response) =>
        IdempotencyRecord.Completed(lease, response, _time.GetUtcNow(), _options);

    internal bool IsStorable(StoredResponse response) => response.Body.Length <= _options.MaxStoredResponseBytes;

    internal void EnsureStorable(StoredResponse response)
    {
        if (!IsStorable(response))
        {
            throw new InvalidOperationException(
                $"A {response.Body.Length}-byte response cannot be stored: Idempotency:MaxStoredResponseBytes is {_options.MaxStoredResponseBytes}.");
        }
    }

    private ClaimOutcome.Claimed Claimed(
        IdempotencyRecordKey recordKey, string subjectId, string subject, IdempotencyKey key, RequestFingerprint fingerprint, string claimId,
        int execution, DateTimeOffset lockedUntil, ETag? etag)
    {
        _logger.Claimed(recordKey.LogId, subjectId, execution, lockedUntil);
        return new ClaimOutcome.Claimed(new IdempotencyLease(this, recordKey, subject, key, fingerprint, claimId, execution, lockedUntil,
            etag ?? throw new InvalidOperationException("Table storage answered a write without an ETag.")));
    }

    private async Task<ETag?> TryReplaceAsync(TableEntity entity, ETag ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Table.UpdateEntityAsync(entity, ifMatch, TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null; // someone else changed or removed it first: re-evaluate
        }
    }
}
