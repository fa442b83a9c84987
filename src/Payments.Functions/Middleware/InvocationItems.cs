using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;

namespace Payments.Functions.Middleware;

/// <summary>What middleware hands a function through its context: the validated body and the idempotency lease.</summary>
public static class InvocationItems
{
    private const string RawBodyKey = "Payments.RawBody";
    private const string BodyKey = "Payments.RequestBody";
    private const string LeaseKey = "Payments.IdempotencyLease";

    public static T GetRequestBody<T>(this FunctionContext context)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(BodyKey, out var body) && body is T typed
            ? typed
            : throw new InvalidOperationException(
                $"Function '{context.FunctionDefinition.Name}' asked for a {typeof(T).Name} body; mark it [RequestBody(typeof({typeof(T).Name}))].");
    }

    public static IdempotencyLease GetIdempotencyLease(this FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(LeaseKey, out var lease) && lease is IdempotencyLease typed
            ? typed
            : throw new InvalidOperationException($"Function '{context.FunctionDefinition.Name}' runs without an idempotency lease; mark it [Idempotent].");
    }

    internal static IdempotencyLease? TryGetIdempotencyLease(this FunctionContext context) =>
        context.Items.TryGetValue(LeaseKey, out var lease) ? lease as IdempotencyLease : null;

    internal static void SetIdempotencyLease(this FunctionContext context, IdempotencyLease lease) => context.Items[LeaseKey] = lease;

    internal static void SetRequestBody(this FunctionContext context, object body, ReadOnlyMemory<byte> raw)
    {
        context.Items[BodyKey] = body;
        context.Items[RawBodyKey] = raw;
    }

    internal static ReadOnlyMemory<byte>? TryGetRawBody(this FunctionContext context) =>
        context.Items.TryGetValue(RawBodyKey, out var raw) && raw is ReadOnlyMemory<byte> bytes ? bytes : null;
}
