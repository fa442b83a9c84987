using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Core.Payments;

/// <summary>
/// The queue message that asks for a payment to be charged: small, versioned JSON. Anything this version cannot read
/// is reported as unreadable so it goes to the poison queue without touching a payment.
/// </summary>
public sealed record PaymentMessage(PaymentId PaymentId)
{
    public const int CurrentVersion = 1;

    public string Serialize() => JsonSerializer.Serialize(new Wire(CurrentVersion, PaymentId.Value), PaymentJsonContext.Default.Wire);

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

        message = new PaymentMessage(id);
        problem = string.Empty;
        return true;
    }

    internal sealed record Wire(
        [property: JsonPropertyName("v")] int V,
        [property: JsonPropertyName("paymentId")] string? PaymentId);
}
