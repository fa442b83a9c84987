using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Functions.LocalHost.Grpc.Messages;

namespace Functions.LocalHost.Worker;

/// <summary>The parts of an InvocationRequest every trigger shares.</summary>
internal static class InvocationFactory
{
    public static InvocationRequest Create(FunctionDescriptor function, string triggerValueName, TypedData triggerValue)
    {
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.FunctionId,
            // Always present: without a trace context every invocation fails inside the worker.
            TraceContext = new RpcTraceContext { TraceParent = TraceParent() },
        };
        request.InputData.Add(new ParameterBinding { Name = triggerValueName, Data = triggerValue });

        // No "sys" entry: the real host's ScriptInvocationContextExtensions never adds one to trigger metadata.
        return request;
    }

    public static TypedData Json<T>(T value) => new() { Json = JsonSerializer.Serialize(value) };

    /// <summary>A date the way the real host puts it in trigger metadata: JSON holding a quoted ISO-8601 string.</summary>
    public static TypedData JsonDate(DateTimeOffset? value) =>
        new() { Json = value is { } date ? JsonSerializer.Serialize(date) : "null" };

    private static string TraceParent()
    {
        var current = Activity.Current;
        if (current is { IdFormat: ActivityIdFormat.W3C, Id: { } id })
        {
            return id;
        }

        return $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00";
    }
}
