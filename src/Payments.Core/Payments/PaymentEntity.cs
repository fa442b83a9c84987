using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Storage;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

/// <summary>Maps a payment to and from its table entity; the property names are the storage contract.</summary>
public static class PaymentEntity
{
    public const string KindValue = "payment";

    /// <summary>Table Storage's limit for one string property: 64 KiB, counted as UTF-16.</summary>
    public const int MaxStringPropertyBytes = 64 * 1024;

    /// <summary>The property names of a payment entity: the storage contract, written here only.</summary>
    public static class Properties
    {
        public const string Kind = EntityProperties.Kind;
        public const string MerchantId = EntityProperties.MerchantId;
        public const string Amount = "Amount";
        public const string Currency = "Currency";
        public const string Source = "Source";
        public const string CustomerId = "CustomerId";
        public const string Description = "Description";
        public const string Metadata = "Metadata";
        public const string Status = "Status";
        public const string FailureCode = "FailureCode";
        public const string CreatedAt = EntityProperties.CreatedAt;
        public const string UpdatedAt = EntityProperties.UpdatedAt;
        public const string EnqueuedAt = "EnqueuedAt";

        /// <summary>The W3C trace context of the accepting request (optional: payments accepted with telemetry off have none).</summary>
        public const string TraceParent = "TraceParent";
        public const string TraceState = "TraceState";
    }

    /// <summary>The trace context stored on an entity (a payment or its due entry), or null when none or malformed.</summary>
    public static PaymentTraceContext? TraceContextOf(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return PaymentTraceContext.Parse(entity.GetString(Properties.TraceParent), entity.GetString(Properties.TraceState));
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
            [Properties.Kind] = KindValue,
            [Properties.MerchantId] = payment.MerchantId,
            [Properties.Amount] = payment.Amount,
            [Properties.Currency] = payment.Currency,
            [Properties.Source] = payment.Source,
            [Properties.CustomerId] = payment.CustomerId,
            [Properties.Description] = payment.Description,
            [Properties.Metadata] = MetadataJson(payment.Metadata),
            [Properties.Status] = payment.Status.ToString(),
            [Properties.FailureCode] = payment.FailureCode,
            [Properties.CreatedAt] = payment.CreatedAt,
            [Properties.UpdatedAt] = payment.UpdatedAt,
            [Properties.EnqueuedAt] = payment.EnqueuedAt,
            [Properties.TraceParent] = payment.TraceContext?.TraceParent,
            [Properties.TraceState] = payment.TraceContext?.TraceState,
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

        var metadata = entity.GetString(Properties.Metadata) is { Length: > 0 } json
            ? JsonSerializer.Deserialize(json, PaymentJsonContext.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>()
            : new Dictionary<string, string>();
        return new Payment(
            id,
            entity.GetString(Properties.MerchantId) ?? throw new InvalidDataException($"Payment {id} has no merchant."),
            entity.GetInt64(Properties.Amount) ?? throw new InvalidDataException($"Payment {id} has no amount."),
            entity.GetString(Properties.Currency) ?? throw new InvalidDataException($"Payment {id} has no currency."),
            entity.GetString(Properties.Source) ?? throw new InvalidDataException($"Payment {id} has no source."),
            entity.GetString(Properties.CustomerId),
            entity.GetString(Properties.Description),
            metadata,
            Enum.Parse<PaymentStatus>(entity.GetString(Properties.Status) ?? nameof(PaymentStatus.Pending)),
            entity.GetString(Properties.FailureCode),
            entity.GetDateTimeOffset(Properties.CreatedAt) ?? default,
            entity.GetDateTimeOffset(Properties.UpdatedAt) ?? default,
            entity.GetDateTimeOffset(Properties.EnqueuedAt) ?? default,
            entity.ETag) { TraceContext = TraceContextOf(entity) };
    }
}
