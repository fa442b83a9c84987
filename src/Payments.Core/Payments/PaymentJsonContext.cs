using System.Text.Json.Serialization;

namespace Payments.Core.Payments;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(PaymentMessage.Wire))]
internal sealed partial class PaymentJsonContext : JsonSerializerContext;
