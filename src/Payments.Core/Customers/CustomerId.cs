using System.Diagnostics.CodeAnalysis;
using Payments.Core.Storage;

namespace Payments.Core.Customers;

/// <summary>A customer id, <c>cus_{3 hex partition}{32 hex}</c> (<see cref="ResourceIdFormat"/>), like a payment id.</summary>
public readonly record struct CustomerId
{
    private static readonly ResourceIdFormat Format = new("cus_");

    private CustomerId(string value) => Value = value;

    public string Value { get; }

    public string PartitionKey => Format.PartitionOf(Value);

    public static CustomerId New(string partitionKey) => new(Format.New(partitionKey));

    /// <inheritdoc cref="ResourceIdFormat.Derive"/>
    public static CustomerId Derive(string partitionKey, string seed) => new(Format.Derive(partitionKey, seed));

    public static bool TryParse([NotNullWhen(true)] string? value, out CustomerId id)
    {
        id = Format.IsValid(value) ? new CustomerId(value) : default;
        return value is not null && id.Value is not null;
    }

    public override string ToString() => Value;
}
