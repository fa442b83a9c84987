using Idempotency.Functions;
using Microsoft.Azure.Functions.Worker;

namespace Payments.Functions.Middleware;

/// <summary>What middleware hands a function through its context: the validated body.</summary>
public static class InvocationItems
{
    private const string BodyKey = "Payments.RequestBody";

    public static T GetRequestBody<T>(this FunctionContext context)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(BodyKey, out var body) && body is T typed
            ? typed
            : throw new InvalidOperationException(
                $"Function '{context.FunctionDefinition.Name}' asked for a {typeof(T).Name} body; mark it [RequestBody(typeof({typeof(T).Name}))].");
    }

    internal static void SetRequestBody(this FunctionContext context, object body, ReadOnlyMemory<byte> raw)
    {
        context.Items[BodyKey] = body;
        // The idempotency middleware fingerprints the bytes read here instead of reading the body stream again.
        context.SetIdempotencyRequestBody(raw);
    }
}
