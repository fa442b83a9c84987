using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Idempotency.Tables;

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
public sealed class IdempotencyStore : IIdempotencyStore
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
    private readonly IdempotencyMetrics _metrics;

    /// <summary>Creates the store of one table: Table Storage, or an <see cref="InMemoryTable"/>.</summary>
    public IdempotencyStore(TableClient table, IdempotencyOptions options, TimeProvider time, ILogger<IdempotencyStore> logger, IdempotencyMetrics? metrics = null)
    {
        _metrics = metrics ?? IdempotencyMetrics.Shared;
        Table = table ?? throw new ArgumentNullException(nameof(table));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The table that keeps the records.</summary>
    public TableClient Table { get; }

    /// <summary>The settings the store applies.</summary>
    public IdempotencyOptions Options => _options;

    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="subject"/>. A first request costs one transaction (the insert,
    /// batched with the record's expiry entry); a replay, a mismatch or an in-progress answer costs two (the failed insert
    /// and one point read).
    /// </summary>
    public async Task<ClaimOutcome> ClaimAsync(string subject, IdempotencyKey key, RequestFingerprint fingerprint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(fingerprint);
        var recordKey = IdempotencyRecordKey.For(subject, key);
        var subjectId = IdempotencyRecordKey.SubjectLogId(subject);
        // Every write gets a fresh attempt id. If a write happened but its answer was lost, a later round reads the
        // record and recognizes one of its own writes instead of answering "in progress" to itself.
        var ownAttempts = new HashSet<string>(StringComparer.Ordinal);

        for (var round = 0; round < MaxClaimRounds; round++)
        {
            var now = _time.GetUtcNow();
            var attemptId = Own(ownAttempts);
            var generation = IdempotencyRecord.NewAttemptId();
            var fresh = IdempotencyRecord.InProgress(recordKey, subject, key, fingerprint, attemptId, generation, 1, now, _options);
            try
            {
                var added = await Table.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.Add, fresh), IdempotencyRecord.UpsertExpiryEntry(fresh)], cancellationToken);
                return Claimed(recordKey, subjectId, subject, key, fingerprint, attemptId, generation, 1, now + _options.Lock, added.Value[0].Headers.ETag,
                    now + _options.Retention);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409)
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
            if (existing.AttemptId is { } written && ownAttempts.Contains(written) && !existing.IsCompleted)
            {
                return Claimed(recordKey, subjectId, subject, key, fingerprint, written, existing.Generation ?? string.Empty,
                    existing.Executions, existing.LockedUntil, existing.ETag, existing.ExpiresAt);
            }

            if (existing.ExpiresAt <= now)
            {
                // Past retention the record counts as absent, whatever it held: a new generation, so new resources.
                attemptId = Own(ownAttempts);
                var replaced = await TryReplaceAsync(
                    IdempotencyRecord.InProgress(recordKey, subject, key, fingerprint, attemptId, generation, 1, now, _options), existing.ETag, cancellationToken);
                if (replaced is ETag etag)
                {
                    _logger.ExpiredReplaced(recordKey.LogId, subjectId, existing.ExpiresAt);
                    return Claimed(recordKey, subjectId, subject, key, fingerprint, attemptId, generation, 1, now + _options.Lock, etag, now + _options.Retention);
                }

                continue;
            }

            if (!existing.Matches(subject, key, fingerprint))
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

            // The attempt that claimed it stopped renewing: it crashed or is far too slow. Exactly one taker wins the
            // ETag, and continues the same generation: it addresses the resources the crashed attempt may have begun.
            var execution = existing.Executions + 1;
            attemptId = Own(ownAttempts);
            var kept = existing.Generation ?? string.Empty;
            var takeover = await TryReplaceAsync(
                IdempotencyRecord.InProgress(recordKey, subject, key, fingerprint, attemptId, kept, execution, now, _options), existing.ETag, cancellationToken);
            if (takeover is ETag takenETag)
            {
                _logger.TakenOver(recordKey.LogId, subjectId, existing.LockedUntil, execution);
                _metrics.Record(IdempotencyOutcome.Takeover);
                return Claimed(recordKey, subjectId, subject, key, fingerprint, attemptId, kept, execution, now + _options.Lock, takenETag, now + _options.Retention);
            }
        }

        // Lost every race in a row: others are actively working on this key.
        return new ClaimOutcome.InProgress(InProgressRetryAfter, _time.GetUtcNow() + InProgressRetryAfter);
    }

    /// <summary>
    /// A claimless lease: nothing is written until the handler submits its transaction, which carries the record.
    /// Its generation is new on every attempt, so a resource id derived from it is new too.
    /// </summary>
    public IdempotencyLease BeginClaimless(string subject, IdempotencyKey key, RequestFingerprint fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(fingerprint);
        var recordKey = IdempotencyRecordKey.For(subject, key);
        return new IdempotencyLease(this, IdempotencyMode.Claimless, recordKey, subject, key, fingerprint, string.Empty,
            IdempotencyRecord.NewAttemptId(), 1, _time.GetUtcNow(), null);
    }

    internal async Task<(LeaseCompletion Completion, ETag ETag, string AttemptId)> CompleteAsync(
        IdempotencyLease lease, StoredResponse response, CancellationToken cancellationToken)
    {
        EnsureStorable(response);
        var attemptId = IdempotencyRecord.NewAttemptId();
        try
        {
            var completed = CompletedEntity(lease, attemptId, response);
            var updated = await Table.SubmitTransactionAsync(
                [new TableTransactionAction(TableTransactionActionType.UpdateReplace, completed, lease.ETag!.Value), IdempotencyRecord.UpsertExpiryEntry(completed)],
                cancellationToken);
            return (LeaseCompletion.Completed, updated.Value[0].Headers.ETag ?? default, attemptId);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404)
        {
            // A 412 can also mean our own write went through and only its answer was lost (the SDK retried with the
            // old ETag). One read tells the two apart by the attempt id; this costs a transaction only on this rare path.
            var read = await Table.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, lease.RowKey, cancellationToken: cancellationToken);
            if (read.HasValue && IdempotencyRecord.Read(read.Value!) is { } record && record.AttemptId == attemptId)
            {
                return (LeaseCompletion.Completed, record.ETag, attemptId);
            }

            return (LeaseCompletion.LeaseLost, default, attemptId);
        }
    }

    /// <summary>
    /// The one rule for a handler's transaction in both modes. The record rides in the transaction with a fresh attempt
    /// id: claim-first as an ETag-conditional completion of the lease's in-progress record; claimless as an insert (or an
    /// ETag-conditional replace of an expired record); with it rides the record's expiry entry. When the transaction fails on a conflict (409, 412, 404), one
    /// read of the record decides: this write's attempt id means the transaction committed and only its answer was lost
    /// (the SDK retried it); otherwise the key belongs to another attempt, whose outcome is the answer.
    /// </summary>
    internal async Task<Submission> SubmitAsync(
        IdempotencyLease lease, IReadOnlyList<TableTransactionAction> actions, StoredResponse response, CancellationToken cancellationToken)
    {
        EnsureStorable(response);
        foreach (var action in actions)
        {
            if (action.Entity.PartitionKey != lease.PartitionKey)
            {
                throw new ArgumentException(
                    $"Every action of the transaction must be in the record's partition {lease.PartitionKey}; one is in {action.Entity.PartitionKey}.", nameof(actions));
            }
        }

        var subjectId = IdempotencyRecordKey.SubjectLogId(lease.Subject);
        var replaceETag = lease.ETag;
        for (var round = 0; round < MaxClaimRounds; round++)
        {
            var attemptId = IdempotencyRecord.NewAttemptId();
            var record = CompletedEntity(lease, attemptId, response);
            TableTransactionAction recordAction = replaceETag is ETag ifMatch
                ? new(TableTransactionActionType.UpdateReplace, record, ifMatch)
                : new(TableTransactionActionType.Add, record);
            try
            {
                var responses = await Table.SubmitTransactionAsync([.. actions, recordAction, IdempotencyRecord.UpsertExpiryEntry(record)], cancellationToken);
                return new Submission(attemptId, responses.Value[actions.Count].Headers.ETag, null);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404)
            {
                var read = await Table.GetEntityIfExistsAsync<TableEntity>(lease.PartitionKey, lease.RowKey, cancellationToken: cancellationToken);
                var existing = read.HasValue ? IdempotencyRecord.Read(read.Value!) : null;
                if (existing is not null && existing.AttemptId == attemptId)
                {
                    _logger.CommittedAnswerLost(lease.RecordKey.LogId, subjectId);
                    return new Submission(attemptId, existing.ETag, null);
                }

                if (lease.Mode == IdempotencyMode.ClaimFirst)
                {
                    if (existing is not null && existing.AttemptId == lease.AttemptId)
                    {
                        throw; // the record is still this lease's: the transaction failed on the handler's own actions
                    }

                    // A takeover owns the key now: nothing of this attempt was written; the taker stores the outcome.
                    _logger.LeaseLost(lease.RecordKey.LogId, subjectId, "transaction");
                    var lockedUntil = existing?.LockedUntil is { } until && until > _time.GetUtcNow() ? until : _time.GetUtcNow() + InProgressRetryAfter;
                    return new Submission(attemptId, null, new ClaimOutcome.InProgress(InProgressRetryAfter, lockedUntil));
                }

                if (existing is null)
                {
                    if (ex.FailedTransactionActionIndex == actions.Count)
                    {
                        replaceETag = null; // reaped between our write and our read: insert again
                        continue;
                    }

                    throw; // no record, so the conflict is on the handler's own actions
                }

                var now = _time.GetUtcNow();
                if (existing.ExpiresAt <= now || (!existing.IsCompleted && existing.LockedUntil <= now))
                {
                    // Past retention the record counts as absent: replace it, conditional on what we read.
                    _logger.ExpiredReplaced(lease.RecordKey.LogId, subjectId, existing.ExpiresAt);
                    replaceETag = existing.ETag;
                    continue;
                }

                if (!existing.Matches(lease.Subject, lease.Key, lease.Fingerprint))
                {
                    return new Submission(attemptId, null, new ClaimOutcome.Mismatch());
                }

                return new Submission(attemptId, null, existing.IsCompleted
                    ? new ClaimOutcome.Replay(existing.Response!)
                    : new ClaimOutcome.InProgress(InProgressRetryAfter, existing.LockedUntil));
            }
        }

        return new Submission(string.Empty, null, new ClaimOutcome.InProgress(InProgressRetryAfter, _time.GetUtcNow() + InProgressRetryAfter));
    }

    internal async Task<LeaseRelease> ReleaseAsync(IdempotencyLease lease, CancellationToken cancellationToken)
    {
        if (lease.ExpiresAt is { } expiresAt)
        {
            // The record and its expiry entry go together, so a released key leaves nothing behind.
            var entry = IdempotencyRecord.ExpiryEntry(lease.PartitionKey, lease.RowKey, expiresAt);
            try
            {
                await Table.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(lease.PartitionKey, lease.RowKey), lease.ETag!.Value),
                     new TableTransactionAction(TableTransactionActionType.Delete, entry, ETag.All)], cancellationToken);
                return LeaseRelease.Released;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 404 && ex.FailedTransactionActionIndex == 1)
            {
                // The entry is gone already (the reaper took it for stale): delete the record alone, below.
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404)
            {
                return LeaseRelease.LeaseLost;
            }
        }

        try
        {
            var deleted = await Table.DeleteEntityAsync(lease.PartitionKey, lease.RowKey, lease.ETag!.Value, cancellationToken);
            return deleted.Status == 404 ? LeaseRelease.LeaseLost : LeaseRelease.Released;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return LeaseRelease.LeaseLost;
        }
    }

    internal TableEntity CompletedEntity(IdempotencyLease lease, string attemptId, StoredResponse response) =>
        IdempotencyRecord.Completed(lease, attemptId, response, _time.GetUtcNow(), _options);

    internal bool IsStorable(StoredResponse response) => response.Body.Length <= _options.MaxStoredResponseBytes;

    internal void EnsureStorable(StoredResponse response)
    {
        if (!IsStorable(response))
        {
            throw new InvalidOperationException(
                $"A {response.Body.Length}-byte response cannot be stored: Idempotency:MaxStoredResponseBytes is {_options.MaxStoredResponseBytes}.");
        }
    }

    private static string Own(HashSet<string> ownAttempts)
    {
        var attemptId = IdempotencyRecord.NewAttemptId();
        ownAttempts.Add(attemptId);
        return attemptId;
    }

    private ClaimOutcome.Claimed Claimed(
        IdempotencyRecordKey recordKey, string subjectId, string subject, IdempotencyKey key, RequestFingerprint fingerprint, string attemptId,
        string generation, int execution, DateTimeOffset lockedUntil, ETag? etag, DateTimeOffset expiresAt)
    {
        _logger.Claimed(recordKey.LogId, subjectId, execution, lockedUntil);
        return new ClaimOutcome.Claimed(new IdempotencyLease(this, IdempotencyMode.ClaimFirst, recordKey, subject, key, fingerprint, attemptId,
            generation, execution, lockedUntil, etag ?? throw new InvalidOperationException("Table storage answered a write without an ETag."))
        {
            ExpiresAt = expiresAt,
        });
    }

    private async Task<ETag?> TryReplaceAsync(TableEntity entity, ETag ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            var response = await Table.SubmitTransactionAsync(
                [new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, ifMatch), IdempotencyRecord.UpsertExpiryEntry(entity)], cancellationToken);
            return response.Value[0].Headers.ETag;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404)
        {
            return null; // someone else changed or removed it first: re-evaluate
        }
    }

    /// <summary>What a submitted transaction came to: committed by this attempt (no answer), or the key's answer instead.</summary>
    internal sealed record Submission(string AttemptId, ETag? RecordETag, ClaimOutcome? Answer);
}
