using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Core.Payments;

/// <summary>The payment as the API shows it. Its bytes define its strong ETag.</summary>
public sealed record PaymentResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string ObjectType,
    [property: JsonPropertyName("amount")] long Amount,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("failureCode")] string? FailureCode,
    [property: JsonPropertyName("customerId")] string? CustomerId,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("metadata")] IReadOnlyDictionary<string, string> Metadata,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt)
{
    public static PaymentResource From(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return new PaymentResource(payment.Id.Value, "payment", payment.Amount, payment.Currency, payment.Source,
            payment.Status.ToString().ToLowerInvariant(), payment.FailureCode, payment.CustomerId, payment.Description,
            payment.Metadata, payment.CreatedAt, payment.UpdatedAt);
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, PaymentJsonContext.Default.PaymentResource);
}

public sealed record PaymentPageResource(
    [property: JsonPropertyName("data")] IReadOnlyList<PaymentResource> Data,
    [property: JsonPropertyName("nextCursor")] string? NextCursor)
{
    public static PaymentPageResource From(PaymentPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new PaymentPageResource(page.Payments.Select(PaymentResource.From).ToList(), page.NextCursor);
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, PaymentJsonContext.Default.PaymentPageResource);
}
