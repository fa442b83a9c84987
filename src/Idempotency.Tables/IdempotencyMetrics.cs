using System.Diagnostics.Metrics;

namespace Idempotency.Tables;

/// <summary>
/// The library's metrics, from a <see cref="Meter"/> named <see cref="MeterName"/>: subscribe to that name
/// (OpenTelemetry's <c>AddMeter</c>) to count what the idempotency layer decided. Attributes carry only the outcome name,
/// never a key, a subject or a body. Registered from the app's <see cref="IMeterFactory"/> when it has one, so each
/// service provider (and each test) gets instruments of its own.
/// </summary>
public sealed class IdempotencyMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Idempotency";

    /// <summary>The outcome counter's name.</summary>
    public const string OutcomesInstrument = "idempotency.outcomes";

    /// <summary>The attribute on <see cref="Outcomes"/> holding one of <see cref="IdempotencyOutcome"/>.</summary>
    public const string OutcomeAttribute = "idempotency.outcome";

    /// <summary>Used where no instance is given: one meter for the process.</summary>
    public static IdempotencyMetrics Shared { get; } = new(meterFactory: null);

    /// <summary>Instruments from <paramref name="meterFactory"/>, or from a meter of their own when it is null.</summary>
    public IdempotencyMetrics(IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Outcomes = meter.CreateCounter<long>(
            OutcomesInstrument, "{request}", "Idempotent requests by outcome: executed, replayed, mismatch (422), in_progress (409), takeover, released.");
    }

    /// <summary>Idempotent requests by <see cref="IdempotencyOutcome"/>.</summary>
    public Counter<long> Outcomes { get; }

    internal void Record(string outcome) => Outcomes.Add(1, new KeyValuePair<string, object?>(OutcomeAttribute, outcome));
}

/// <summary>The values of <see cref="IdempotencyMetrics.OutcomeAttribute"/>.</summary>
public static class IdempotencyOutcome
{
    /// <summary>The function ran and its outcome was stored.</summary>
    public const string Executed = "executed";

    /// <summary>A retry got the stored response back, byte for byte.</summary>
    public const string Replayed = "replayed";

    /// <summary>The same key with a different request: 422.</summary>
    public const string Mismatch = "mismatch";

    /// <summary>The key's first attempt still holds a live claim: 409 with Retry-After.</summary>
    public const string InProgress = "in_progress";

    /// <summary>A claim whose holder stopped renewing it was taken over by this attempt.</summary>
    public const string Takeover = "takeover";

    /// <summary>The claim was given up without an outcome (the function failed, or its answer is not kept), so a retry runs again.</summary>
    public const string Released = "released";
}
