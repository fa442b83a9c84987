using System.Diagnostics.CodeAnalysis;
using Payments.Core.Storage;

namespace Payments.Core.Payments;

/// <summary>A payment id, <c>pay_{3 hex partition}{32 hex}</c> (<see cref="ResourceIdFormat"/>).</summary>
public readonly record struct PaymentId
{
    private static readonly ResourceIdFormat Format = new("pay_");

    private PaymentId(string value) => Value = value;

    public string Value { get; }

    public string PartitionKey => Format.PartitionOf(Value);

    public static PaymentId New(string partitionKey) => new(Format.New(partitionKey));

    /// <inheritdoc cref="ResourceIdFormat.Derive"/>
    public static PaymentId Derive(string partitionKey, string seed) => new(Format.Derive(partitionKey, seed));

    public static bool TryParse([NotNullWhen(true)] string? value, out PaymentId id)
    {
        id = Format.IsValid(value) ? new PaymentId(value) : default;
        return value is not null && id.Value is not null;
    }

    public override string ToString() => Value;
}
