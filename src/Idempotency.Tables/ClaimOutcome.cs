namespace Idempotency.Tables;

/// <summary>What claiming a key found. Every expected case is a value; only an unreachable store throws.</summary>
public abstract record ClaimOutcome
{
    private ClaimOutcome()
    {
    }

    /// <summary>This attempt owns the key and must execute (then complete or release the lease).</summary>
    public sealed record Claimed(IdempotencyLease Lease) : ClaimOutcome;

    /// <summary>The same request already completed: answer with its stored response, execute nothing.</summary>
    public sealed record Replay(StoredResponse Response) : ClaimOutcome;

    /// <summary>The same request is being executed by another attempt whose lock is still live.</summary>
    public sealed record InProgress(TimeSpan RetryAfter, DateTimeOffset LockedUntil) : ClaimOutcome;

    /// <summary>The key was used for a different request (another method, path or body).</summary>
    public sealed record Mismatch : ClaimOutcome;
}

/// <summary>What completing a claim-first lease did.</summary>
public enum LeaseCompletion
{
    /// <summary>The outcome is stored; retries replay it.</summary>
    Completed,

    /// <summary>The lock expired and another attempt took the key over; this outcome was not stored.</summary>
    LeaseLost,
}

/// <summary>What releasing a claim-first lease did.</summary>
public enum LeaseRelease
{
    /// <summary>The record is gone; a retry executes again.</summary>
    Released,

    /// <summary>Another attempt owns the record now (or it was already deleted); nothing was changed.</summary>
    LeaseLost,
}

/// <summary>Where a lease stands: active until it is completed, released, lost to a takeover or answered by another attempt.</summary>
public enum IdempotencyLeaseState
{
    /// <summary>The handler runs; the lease can complete, release or submit.</summary>
    Active,

    /// <summary>The outcome was stored by <see cref="IdempotencyLease.CompleteAsync"/>.</summary>
    Completed,

    /// <summary>The outcome was stored with the handler's own transaction (<see cref="IdempotencyLease.SubmitAsync"/>).</summary>
    CompletedByHandler,

    /// <summary>The key was given up; a retry executes again.</summary>
    Released,

    /// <summary>Another attempt took the key over; this lease changes nothing any more.</summary>
    Lost,

    /// <summary>The handler's transaction found the key owned by another attempt; the idempotency layer answers with that.</summary>
    Answered,
}
