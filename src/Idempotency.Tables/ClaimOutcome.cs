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

public enum LeaseCompletion
{
    /// <summary>The outcome is stored; retries replay it.</summary>
    Completed,

    /// <summary>The lock expired and another attempt took the key over; this outcome was not stored.</summary>
    LeaseLost,
}

public enum LeaseRelease
{
    /// <summary>The record is gone; a retry executes again.</summary>
    Released,

    /// <summary>Another attempt owns the record now (or it was already deleted); nothing was changed.</summary>
    LeaseLost,
}

public enum IdempotencyLeaseState
{
    Active,
    Completed,
    CompletedByHandler,
    Released,
    Lost,

    /// <summary>The handler's transaction found the key owned by another attempt; the idempotency layer answers with that.</summary>
    Answered,
}
