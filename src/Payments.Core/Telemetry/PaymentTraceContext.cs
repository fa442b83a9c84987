using System.Diagnostics;

namespace Payments.Core.Telemetry;

/// <summary>
/// A W3C trace context (<c>traceparent</c>, <c>tracestate</c>) kept with a payment and in its queue messages, because
/// neither Azure's Functions host nor Storage queues carry one through a queue message: it lets the charge, the
/// completer and the poison settler join the trace of the POST that accepted the payment. Only a well-formed context is
/// kept; anything else is dropped, never an error (it is diagnostics, not data).
/// </summary>
public sealed record PaymentTraceContext
{
    /// <summary>W3C: version 00 is exactly 55 characters; later versions may append fields, which this build does not keep.</summary>
    public const int MaxTraceParentLength = 55;

    /// <summary>W3C asks vendors to propagate at least 512 characters of tracestate; more is dropped.</summary>
    public const int MaxTraceStateLength = 512;

    private PaymentTraceContext(string traceParent, string? traceState, ActivityContext context)
    {
        TraceParent = traceParent;
        TraceState = traceState;
        Context = context;
    }

    public string TraceParent { get; }

    public string? TraceState { get; }

    /// <summary>The parsed context, marked remote: a span started under it is a child in the same trace.</summary>
    public ActivityContext Context { get; }

    /// <summary>The context of the current activity, or null when there is none (telemetry off) or it is not W3C.</summary>
    public static PaymentTraceContext? FromCurrent() => FromActivity(Activity.Current);

    public static PaymentTraceContext? FromActivity(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? Parse(id, activity.TraceStateString) : null;

    /// <summary>Null unless <paramref name="traceParent"/> is a valid W3C traceparent (tracestate too long is dropped alone).</summary>
    public static PaymentTraceContext? Parse(string? traceParent, string? traceState)
    {
        if (traceParent is not { Length: > 0 and <= MaxTraceParentLength })
        {
            return null;
        }

        var state = traceState is { Length: > 0 and <= MaxTraceStateLength } ? traceState : null;
        return ActivityContext.TryParse(traceParent, state, isRemote: true, out var context) && context.TraceId != default
            ? new PaymentTraceContext(traceParent, state, context)
            : null;
    }
}
