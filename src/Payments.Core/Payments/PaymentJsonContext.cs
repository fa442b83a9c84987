using System.Text.Json.Serialization;

namespace Payments.Core.Payments;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(PaymentMessage.Wire))]
[JsonSerializable(typeof(CreatePaymentRequest))]
[JsonSerializable(typeof(PaymentResource))]
[JsonSerializable(typeof(PaymentPageResource))]
internal sealed partial class PaymentJsonContext : JsonSerializerContext;
