using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;

namespace Idempotency.Functions;

/// <summary>What the idempotency middleware hands a function, and what earlier middleware hands the idempotency middleware.</summary>
public static class IdempotencyFunctionContextExtensions
{
    private const string LeaseKey = "Idempotency.Lease";
    private const string RequestBodyKey = "Idempotency.RequestBody";

    /// <summary>The lease under which this invocation runs.</summary>
    /// <exception cref="InvalidOperationException">The function is not marked <see cref="IdempotentAttribute"/>.</exception>
    public static IdempotencyLease GetIdempotencyLease(this FunctionContext context) =>
        TryGetIdempotencyLease(context)
        ?? throw new InvalidOperationException($"Function '{context.FunctionDefinition.Name}' runs without an idempotency lease; mark it [Idempotent].");

    /// <summary>The lease under which this invocation runs, or null when it runs without one.</summary>
    public static IdempotencyLease? TryGetIdempotencyLease(this FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(LeaseKey, out var lease) ? lease as IdempotencyLease : null;
    }

    /// <summary>
    /// For middleware that runs earlier and has read the request body already: the idempotency middleware fingerprints
    /// these bytes instead of reading the body stream a second time.
    /// </summary>
    public static void SetIdempotencyRequestBody(this FunctionContext context, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[RequestBodyKey] = body;
    }

    // The cast matters: a bare null converts to ReadOnlyMemory<byte> (through byte[]) as an empty body, never "not set".
    internal static ReadOnlyMemory<byte>? TryGetIdempotencyRequestBody(this FunctionContext context) =>
        context.Items.TryGetValue(RequestBodyKey, out var body) && body is ReadOnlyMemory<byte> bytes ? bytes : (ReadOnlyMemory<byte>?)null;

    internal static void SetIdempotencyLease(this FunctionContext context, IdempotencyLease lease) => context.Items[LeaseKey] = lease;
}
