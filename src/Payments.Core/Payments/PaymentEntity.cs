using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

/// <summary>Maps a payment to and from its table entity; the property names are the storage contract.</summary>
public static class PaymentEntity
{
    public const string KindValue = "payment";

    /// <summary>Table Storage's limit for one string property: 64 KiB, counted as UTF-16.</summary>
    public const int MaxStringPropertyBytes = 64 * 1024;

    /// <summary>The W3C trace context of the accepting request (optional: payments accepted with telemetry off have none).</summary>
    public const string TraceParentProperty = "TraceParent";
    public const string TraceStateProperty = "TraceState";

    /// <summary>The trace context stored on an entity (a payment or its due entry), or null when none or malformed.</summary>
    public static PaymentTraceContext? TraceContextOf(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return PaymentTraceContext.Parse(entity.GetString(TraceParentProperty), entity.GetString(TraceStateProperty));
    }

    /// <summary>The metadata exactly as it is stored (JSON, with the serializer's escaping), or null when there is none.</summary>
    public static string? MetadataJson(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.Count == 0 ? null : JsonSerializer.Serialize(metadata, PaymentJsonContext.Default.IReadOnlyDictionaryStringString);
    }

    /// <summary>What a string property takes in Table Storage: two bytes per UTF-16 code unit.</summary>
    public static int StoredBytes(string? value) => (value?.Length ?? 0) * sizeof(char);

    public static TableEntity ToEntity(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        var entity = new TableEntity(payment.Id.PartitionKey, payment.Id.Value)
        {
            ["Kind"] = KindValue,
            ["MerchantId"] = payment.MerchantId,
            ["Amount"] = payment.Amount,
            ["Currency"] = payment.Currency,
            ["Source"] = payment.Source,
            ["CustomerId"] = payment.CustomerId,
            ["Description"] = payment.Description,
            ["Metadata"] = MetadataJson(payment.Metadata),
            ["Status"] = payment.Status.ToString(),
            ["FailureCode"] = payment.FailureCode,
            ["CreatedAt"] = payment.CreatedAt,
            ["UpdatedAt"] = payment.UpdatedAt,
            ["EnqueuedAt"] = payment.EnqueuedAt,
            [TraceParentProperty] = payment.TraceContext?.TraceParent,
            [TraceStateProperty] = payment.TraceContext?.TraceState,
        };
        entity.ETag = payment.ETag;
        return entity;
    }

    public static Payment FromEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!PaymentId.TryParse(entity.RowKey, out var id))
        {
            throw new InvalidDataException($"Entity {entity.PartitionKey}/{entity.RowKey} is not a payment.");
        }

        var metadata = entity.GetString("Metadata") is { Length: > 0 } json
            ? JsonSerializer.Deserialize(json, PaymentJsonContext.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>()
            : new Dictionary<string, string>();
        return new Payment(
            id,
            entity.GetString("MerchantId") ?? throw new InvalidDataException($"Payment {id} has no merchant."),
            entity.GetInt64("Amount") ?? throw new InvalidDataException($"Payment {id} has no amount."),
            entity.GetString("Currency") ?? throw new InvalidDataException($"Payment {id} has no currency."),
            entity.GetString("Source") ?? throw new InvalidDataException($"Payment {id} has no source."),
            entity.GetString("CustomerId"),
            entity.GetString("Description"),
            metadata,
            Enum.Parse<PaymentStatus>(entity.GetString("Status") ?? nameof(PaymentStatus.Pending)),
            entity.GetString("FailureCode"),
            entity.GetDateTimeOffset("CreatedAt") ?? default,
            entity.GetDateTimeOffset("UpdatedAt") ?? default,
            entity.GetDateTimeOffset("EnqueuedAt") ?? default,
            entity.ETag) { TraceContext = TraceContextOf(entity) };
    }
}
