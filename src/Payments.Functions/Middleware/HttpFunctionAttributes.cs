using Idempotency.Tables;

namespace Payments.Functions.Middleware;

/// <summary>Which table keeps a function's idempotency records: the one its resource lives in, so both commit together.</summary>
public enum IdempotencyRecords
{
    /// <summary>The shared idempotency table (Storage:IdempotencyTable).</summary>
    Default,

    /// <summary>Storage:PaymentsTable, beside the payments the function creates.</summary>
    Payments,

    /// <summary>Storage:CustomersTable, beside the customers the function creates.</summary>
    Customers,
}

/// <summary>
/// Runs the function under the request's Idempotency-Key: the outcome is stored and retries get it. Claim-first (the
/// default) claims the key before the function runs; claimless lets the function's own transaction carry the record
/// (<c>IdempotencyLease.SubmitAsync</c>), for functions whose only effect is that transaction. The function finds its
/// lease with <c>context.GetIdempotencyLease()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class IdempotentAttribute(
    IdempotencyRecords records = IdempotencyRecords.Default, IdempotencyMode mode = IdempotencyMode.ClaimFirst) : Attribute
{
    public IdempotencyRecords Records { get; } = records;

    public IdempotencyMode Mode { get; } = mode;
}

/// <summary>
/// The function takes a JSON body of this type; it is read and validated before anything else runs (in particular
/// before an Idempotency-Key is claimed). The function gets it with <c>context.GetRequestBody&lt;T&gt;()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequestBodyAttribute(Type bodyType) : Attribute
{
    public Type BodyType { get; } = bodyType;
}
