using Azure;
using Azure.Data.Tables;

namespace Payments.Core.Idempotency;

/// <summary>
/// Ownership of one claimed key. The owner executes, then either completes (the outcome is stored for replays) or
/// releases (a retry executes again). Every change is conditional on <see cref="ETag"/>: once the lock expired and
/// another attempt took the key over, this lease can no longer change the record, which is what keeps a stale
/// attempt from overwriting the outcome of the one that replaced it.
/// </summary>
public sealed class IdempotencyLease
{
    private readonly IdempotencyStore _store;

    internal IdempotencyLease(
        IdempotencyStore store, IdempotencyRecordKey recordKey, string subject, IdempotencyKey key, RequestFingerprint fingerprint,
        string claimId, int execution, DateTimeOffset lockedUntil, ETag etag)
    {
        _store = store;
        RecordKey = recordKey;
        Subject = subject;
        Key = key;
        Fingerprint = fingerprint;
        ClaimId = claimId;
        Execution = execution;
        LockedUntil = lockedUntil;
        ETag = etag;
    }

    public IdempotencyRecordKey RecordKey { get; }

    /// <summary>The record's partition: a resource written in the same transaction as the completion must use it.</summary>
    public string PartitionKey => RecordKey.PartitionKey;

    public string RowKey => RecordKey.RowKey;

    public ETag ETag { get; private set; }

    /// <summary>1 for the first execution of this key; more when this attempt took over after a crashed one.</summary>
    public int Execution { get; }

    /// <summary>True when an earlier attempt claimed the key and never finished: its effects may be partly done.</summary>
    public bool IsTakeover => Execution > 1;

    public DateTimeOffset LockedUntil { get; }

    public IdempotencyLeaseState State { get; private set; } = IdempotencyLeaseState.Active;

    /// <summary>
    /// Lets a handler that only sees the lease (an HTTP function behind the middleware) say whether its response is a
    /// final outcome to store or a transient one to forget; a retention set on <see cref="HandlerResult"/> wins.
    /// </summary>
    public ResponseRetention Retention { get; set; }

    /// <summary>The table holding the record: a handler's own transaction must target this table.</summary>
    public TableClient Table => _store.Table;

    internal string Subject { get; }

    internal IdempotencyKey Key { get; }

    internal RequestFingerprint Fingerprint { get; }

    internal string ClaimId { get; }

    /// <summary>Stores the outcome. Returns <see cref="LeaseCompletion.LeaseLost"/> when a takeover got there first.</summary>
    public async Task<LeaseCompletion> CompleteAsync(StoredResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        EnsureActive();
        var (completion, etag) = await _store.CompleteAsync(this, response, cancellationToken);
        if (completion == LeaseCompletion.Completed)
        {
            ETag = etag;
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
        var release = await _store.ReleaseAsync(this, cancellationToken);
        State = release == LeaseRelease.Released ? IdempotencyLeaseState.Released : IdempotencyLeaseState.Lost;
        return release;
    }

    /// <summary>
    /// The completion as one action of the handler's own entity group transaction (same table, same
    /// <see cref="PartitionKey"/> as the resource it writes), so that the resource and the stored outcome commit
    /// together at no extra storage transaction. After the transaction succeeded, call <see cref="MarkCompletedByHandler"/>.
    /// If the transaction fails with 412 on this action, the lease was lost to a takeover.
    /// </summary>
    public TableTransactionAction CreateCompletionAction(StoredResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        EnsureActive();
        _store.EnsureStorable(response);
        return new TableTransactionAction(TableTransactionActionType.UpdateReplace, _store.CompletedEntity(this, response), ETag);
    }

    /// <summary>Tells the orchestrator that the handler's transaction stored the outcome, so it does not complete again.</summary>
    public void MarkCompletedByHandler()
    {
        EnsureActive();
        State = IdempotencyLeaseState.CompletedByHandler;
    }

    private void EnsureActive()
    {
        if (State != IdempotencyLeaseState.Active)
        {
            throw new InvalidOperationException($"This idempotency lease is already {State}; a lease is completed or released once.");
        }
    }
}
