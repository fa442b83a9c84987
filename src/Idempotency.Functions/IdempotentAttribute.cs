using Idempotency.Tables;

namespace Idempotency.Functions;

/// <summary>
/// Runs the HTTP function under the request's Idempotency-Key: the outcome is stored and retries get it. Claim-first
/// (the default) claims the key before the function runs; claimless lets the function's own transaction carry the
/// record (<see cref="IdempotencyLease.SubmitAsync"/>), for functions whose only effect is that transaction. The table
/// that keeps the function's records is registered at start (<see cref="IdempotentFunctionsOptions.RecordTables"/>),
/// which refuses to start when an [Idempotent] function has none. The function finds its lease with
/// <c>context.GetIdempotencyLease()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class IdempotentAttribute(IdempotencyMode mode = IdempotencyMode.ClaimFirst) : Attribute
{
    /// <summary>How the function holds its key while it runs.</summary>
    public IdempotencyMode Mode { get; } = mode;
}
