using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Azure;
using Azure.Data.Tables;
using Payments.Core.Storage;

namespace Payments.Core.Customers;

public sealed record Customer(CustomerId Id, string MerchantId, string Email, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ETag ETag)
{
    public const string KindValue = "customer";

    /// <summary>The property names of a customer entity: the storage contract, written here only.</summary>
    public static class Properties
    {
        public const string Kind = EntityProperties.Kind;
        public const string MerchantId = EntityProperties.MerchantId;
        public const string Email = "Email";
        public const string Name = "Name";
        public const string CreatedAt = EntityProperties.CreatedAt;
        public const string UpdatedAt = EntityProperties.UpdatedAt;
    }

    public TableEntity ToEntity()
    {
        var entity = new TableEntity(Id.PartitionKey, Id.Value)
        {
            [Properties.Kind] = KindValue,
            [Properties.MerchantId] = MerchantId,
            [Properties.Email] = Email,
            [Properties.Name] = Name,
            [Properties.CreatedAt] = CreatedAt,
            [Properties.UpdatedAt] = UpdatedAt,
        };
        entity.ETag = ETag;
        return entity;
    }

    public static Customer FromEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!CustomerId.TryParse(entity.RowKey, out var id))
        {
            throw new InvalidDataException($"Entity {entity.PartitionKey}/{entity.RowKey} is not a customer.");
        }

        return new Customer(id, entity.GetString(Properties.MerchantId) ?? string.Empty, entity.GetString(Properties.Email) ?? string.Empty,
            entity.GetString(Properties.Name) ?? string.Empty, entity.GetDateTimeOffset(Properties.CreatedAt) ?? default,
            entity.GetDateTimeOffset(Properties.UpdatedAt) ?? default, entity.ETag);
    }
}

/// <summary>A customer as the client asks for it (to create or to replace one).</summary>
public sealed record CustomerRequest(
    [property: JsonPropertyName("email"), JsonRequired] string Email,
    [property: JsonPropertyName("name"), JsonRequired] string Name) : IValidatable<CustomerRequest>
{
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 200;

    public static JsonTypeInfo<CustomerRequest> JsonTypeInfo => CustomerJsonContext.Default.CustomerRequest;

    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (Email is null || Email.Length > MaxEmailLength || Email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            || !new EmailAddressAttribute().IsValid(Email) || Email.IndexOf('@', StringComparison.Ordinal) != Email.LastIndexOf('@'))
        {
            errors["email"] = [$"email must be one address like name@example.com, at most {MaxEmailLength} characters, without spaces."];
        }

        if (string.IsNullOrWhiteSpace(Name) || Name.Length > MaxNameLength || Name.Any(char.IsControl))
        {
            errors["name"] = [$"name must be 1 to {MaxNameLength} characters without control characters."];
        }

        return errors;
    }
}

public sealed record CustomerResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string ObjectType,
    [property: JsonPropertyName("email")] string Email,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset UpdatedAt)
{
    public static CustomerResource From(Customer customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        return new CustomerResource(customer.Id.Value, "customer", customer.Email, customer.Name, customer.CreatedAt, customer.UpdatedAt);
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, CustomerJsonContext.Default.CustomerResource);
}

[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(CustomerRequest))]
[JsonSerializable(typeof(CustomerResource))]
internal sealed partial class CustomerJsonContext : JsonSerializerContext;
