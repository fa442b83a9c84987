using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Payments.Core.Payments;

/// <summary>A payment as the client asks for it, exactly as sent.</summary>
public sealed record CreatePaymentRequest(
    [property: JsonPropertyName("amount"), JsonRequired] long Amount,
    [property: JsonPropertyName("currency"), JsonRequired] string Currency,
    [property: JsonPropertyName("source"), JsonRequired] string Source,
    [property: JsonPropertyName("customerId")] string? CustomerId,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata) : IValidatable<CreatePaymentRequest>
{
    public static JsonTypeInfo<CreatePaymentRequest> JsonTypeInfo => PaymentJsonContext.Default.CreatePaymentRequest;

    public const long MinAmount = 1;
    public const long MaxAmount = 99_999_999;
    public const int MaxDescriptionLength = 1000;
    public const int MaxMetadataEntries = 50;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;

    /// <summary>Field errors, each saying what is wrong and what is accepted; empty when the request is valid.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (Amount is < MinAmount or > MaxAmount)
        {
            errors["amount"] = [$"amount is in minor units (cents) and must be an integer from {MinAmount} to {MaxAmount:N0}; got {Amount}."];
        }

        if (Currency is null || !Currencies.Allowed.Contains(Currency))
        {
            errors["currency"] = [$"currency must be an upper-case ISO 4217 code such as EUR or USD; got '{Truncate(Currency)}'."];
        }

        if (Source is null || !Patterns.Source().IsMatch(Source))
        {
            errors["source"] = ["source must be a card token such as tok_visa (tok_ followed by 1 to 64 letters, digits or underscores)."];
        }

        if (CustomerId is not null && !Patterns.CustomerId().IsMatch(CustomerId))
        {
            errors["customerId"] = ["customerId must be the id of one of your customers (cus_...), or be left out."];
        }

        if (Description is { Length: > MaxDescriptionLength })
        {
            errors["description"] = [$"description is at most {MaxDescriptionLength} characters; got {Description.Length}."];
        }
        else if (Description is not null && Description.Any(char.IsControl))
        {
            errors["description"] = ["description must not contain control characters."];
        }

        if (Metadata is not null)
        {
            var problems = new List<string>();
            if (Metadata.Count > MaxMetadataEntries)
            {
                problems.Add($"metadata has at most {MaxMetadataEntries} entries; got {Metadata.Count}.");
            }

            foreach (var (key, value) in Metadata)
            {
                if (key.Length is 0 or > MaxMetadataKeyLength || key.Any(char.IsControl))
                {
                    problems.Add($"metadata key '{Truncate(key)}' must be 1 to {MaxMetadataKeyLength} characters without control characters.");
                }

                if (value is null || value.Length > MaxMetadataValueLength)
                {
                    problems.Add($"metadata value for '{Truncate(key)}' must be a string of at most {MaxMetadataValueLength} characters.");
                }
            }

            if (problems.Count == 0 && PaymentEntity.StoredBytes(PaymentEntity.MetadataJson(Metadata)) is var stored && stored > PaymentEntity.MaxStringPropertyBytes)
            {
                // Validated as it will be stored: the JSON writer escapes characters such as < > & ' + (six characters
                // each), and Table Storage counts every character as two bytes.
                problems.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"metadata takes {stored:N0} bytes as stored (JSON-escaped, UTF-16; characters such as < > & ' + are escaped to six characters); " +
                    $"at most {PaymentEntity.MaxStringPropertyBytes:N0} fit. Send fewer or shorter values."));
            }

            if (problems.Count > 0)
            {
                errors["metadata"] = [.. problems];
            }
        }

        return errors;
    }

    private static string Truncate(string? value) => value is null ? "null" : value.Length <= 40 ? value : value[..40] + "...";
}

internal static partial class Patterns
{
    [GeneratedRegex("^tok_[A-Za-z0-9_]{1,64}$", RegexOptions.CultureInvariant)]
    public static partial Regex Source();

    [GeneratedRegex("^cus_[0-9a-f]{35}$", RegexOptions.CultureInvariant)]
    public static partial Regex CustomerId();
}
