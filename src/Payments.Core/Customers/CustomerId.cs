using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Payments.Core.Customers;

/// <summary>A customer id carries its table partition (<c>cus_{3 hex}{32 hex}</c>), like a payment id.</summary>
public readonly record struct CustomerId
{
    private const string Prefix = "cus_";
    private const int PartitionLength = 3;
    private const int RandomLength = 32;

    private CustomerId(string value) => Value = value;

    public string Value { get; }

    public string PartitionKey => Value.Substring(Prefix.Length, PartitionLength);

    public static CustomerId New(string partitionKey)
    {
        if (partitionKey is not { Length: PartitionLength } || !partitionKey.All(IsLowerHex))
        {
            throw new ArgumentException("A customer partition is three lower-case hex digits.", nameof(partitionKey));
        }

        return new CustomerId(Prefix + partitionKey + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomLength / 2)));
    }

    /// <summary>
    /// The same id for the same seed (an idempotency record's key), so a retry after a partial failure addresses the
    /// resource the first attempt began, instead of starting a second one.
    /// </summary>
    public static CustomerId Derive(string partitionKey, string seed)
    {
        var id = New(partitionKey);
        return new CustomerId(id.Value[..(Prefix.Length + PartitionLength)]
            + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)))[..RandomLength]);
    }

    public static bool TryParse([NotNullWhen(true)] string? value, out CustomerId id)
    {
        id = default;
        if (value is not { Length: 4 + PartitionLength + RandomLength } || !value.StartsWith(Prefix, StringComparison.Ordinal)
            || !value.AsSpan(Prefix.Length).ToArray().All(IsLowerHex))
        {
            return false;
        }

        id = new CustomerId(value);
        return true;
    }

    public override string ToString() => Value;

    private static bool IsLowerHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');
}
