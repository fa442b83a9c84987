using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Functions.LocalHost.Grpc.Messages;

namespace Functions.LocalHost.Worker;

/// <summary>The parts of an InvocationRequest every trigger shares.</summary>
internal static class InvocationFactory
{
    public static InvocationRequest Create(
        FunctionDescriptor function, string triggerValueName, TypedData triggerValue, RpcTraceContext? traceContext = null)
    {
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.FunctionId,
            // Always present: without a trace context every invocation fails inside the worker.
            TraceContext = traceContext ?? new RpcTraceContext { TraceParent = TraceParent() },
        };
        request.InputData.Add(new ParameterBinding { Name = triggerValueName, Data = triggerValue });

        // No "sys" entry: the real host's ScriptInvocationContextExtensions never adds one to trigger metadata.
        return request;
    }

    public static TypedData Json<T>(T value) => new() { Json = JsonSerializer.Serialize(value) };

    /// <summary>A date the way the real host puts it in trigger metadata: JSON holding a quoted ISO-8601 string.</summary>
    public static TypedData JsonDate(DateTimeOffset? value) =>
        new() { Json = value is { } date ? JsonSerializer.Serialize(date) : "null" };

    /// <summary>
    /// The trace context of an HTTP invocation, as the real host builds it: its request activity (ASP.NET Core's) is a
    /// child of a valid incoming <c>traceparent</c> (same trace id and flags, a new span id, the <c>tracestate</c> as
    /// sent), and WorkerFunctionInvoker passes <c>Activity.Current.Id</c> and <c>TraceStateString</c> into the
    /// InvocationRequest (SIC <c>GetRpcTraceContext</c>). Without a valid header the invocation starts a trace of its own.
    /// </summary>
    public static RpcTraceContext HttpTraceContext(string? traceParent, string? traceState)
    {
        if (traceParent is not null && ActivityContext.TryParse(traceParent, traceState, out var parent) && parent.TraceId != default)
        {
            return new RpcTraceContext
            {
                TraceParent = $"00-{parent.TraceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{(int)parent.TraceFlags:x2}",
                TraceState = parent.TraceState ?? string.Empty,
            };
        }

        return new RpcTraceContext { TraceParent = TraceParent() };
    }

    /// <summary>
    /// A trace of the invocation's own, sampled. The real host starts an invocation activity for every trigger
    /// (WebJobs <c>TraceHelper.StartInvocationActivity</c>) that its telemetry samples as a root; with no telemetry
    /// listening it sends an empty <c>traceparent</c> and the worker starts a root span, which the worker's sampler records.
    /// Either way a queue or timer invocation's span is recorded in Azure, so "not sampled" here would hide it.
    /// </summary>
    private static string TraceParent()
    {
        var current = Activity.Current;
        if (current is { IdFormat: ActivityIdFormat.W3C, Id: { } id })
        {
            return id;
        }

        return $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
    }
}
