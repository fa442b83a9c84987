using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

/// <summary>
/// The queue message that asks for a payment to be charged: small, versioned JSON,
/// <c>{ "v": 1, "paymentId": "...", "traceparent": "...", "tracestate": "..." }</c>. <c>v</c> changes only when a
/// reader that ignores what it does not know would act wrongly; optional fields (the W3C trace context) are added under
/// the same version, and readers skip properties they do not know, so old and new workers can share the queue during a
/// deployment. An unknown version or a message that is not one is reported as unreadable and parked as it is.
/// </summary>
public sealed record PaymentMessage(PaymentId PaymentId)
{
    public const int CurrentVersion = 1;

    /// <summary>The trace of the request that accepted the payment, when there was one; optional on the wire.</summary>
    public PaymentTraceContext? TraceContext { get; init; }

    public string Serialize() => JsonSerializer.Serialize(
        new Wire(CurrentVersion, PaymentId.Value, TraceContext?.TraceParent, TraceContext?.TraceState), PaymentJsonContext.Default.Wire);

    public static bool TryParse(string? text, out PaymentMessage? message, out string problem)
    {
        message = null;
        Wire? wire;
        try
        {
            wire = text is null ? null : JsonSerializer.Deserialize(text, PaymentJsonContext.Default.Wire);
        }
        catch (JsonException ex)
        {
            problem = "not JSON: " + ex.Message;
            return false;
        }

        if (wire is null)
        {
            problem = "empty message";
            return false;
        }

        if (wire.V != CurrentVersion)
        {
            problem = $"schema version {wire.V} is unknown (this build reads version {CurrentVersion})";
            return false;
        }

        if (!PaymentId.TryParse(wire.PaymentId, out var id))
        {
            problem = "paymentId is missing or not a payment id";
            return false;
        }

        // A malformed trace context costs the message its trace, never its charge.
        message = new PaymentMessage(id) { TraceContext = PaymentTraceContext.Parse(wire.TraceParent, wire.TraceState) };
        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// Unknown properties are skipped (unlike request bodies, which the same context reads strictly): a newer writer
    /// may add optional fields under the same version while older readers still drain the queue.
    /// </summary>
    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
    internal sealed record Wire(
        [property: JsonPropertyName("v")] int V,
        [property: JsonPropertyName("paymentId")] string? PaymentId,
        [property: JsonPropertyName("traceparent"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceParent = null,
        [property: JsonPropertyName("tracestate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceState = null);
}
