using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Idempotency.Tables;

namespace Payments.Core.Payments;

/// <summary>
/// A payment id carries its table partition (<c>pay_{3 hex}{32 hex}</c>), so a GET is one point read and a merchant's
/// payments spread over its 16 shard partitions (<see cref="Storage.SubjectPartitions"/>) instead of crowding one.
/// </summary>
public readonly record struct PaymentId
{
    private const string Prefix = "pay_";
    private const int PartitionLength = 3;
    private const int RandomLength = 32;

    private PaymentId(string value) => Value = value;

    public string Value { get; }

    public string PartitionKey => Value.Substring(Prefix.Length, PartitionLength);

    public static PaymentId New(string partitionKey)
    {
        if (!IsLowerHex(partitionKey, PartitionLength))
        {
            throw new ArgumentException("A payment partition is three lower-case hex digits.", nameof(partitionKey));
        }

        return new PaymentId(Prefix + partitionKey + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomLength / 2)));
    }

    /// <summary>
    /// The same id for the same seed (an idempotency record's key), so a retry after a partial failure addresses the
    /// resource the first attempt began, instead of starting a second one.
    /// </summary>
    public static PaymentId Derive(string partitionKey, string seed)
    {
        var id = New(partitionKey);
        return new PaymentId(id.Value[..(Prefix.Length + PartitionLength)]
            + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)))[..RandomLength]);
    }

    /// <summary>Accepts exactly the ids this app hands out; anything else (traversal, unicode, other callers' formats) is not an id.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out PaymentId id)
    {
        id = default;
        if (value is null || value.Length != Prefix.Length + PartitionLength + RandomLength || !value.StartsWith(Prefix, StringComparison.Ordinal)
            || !IsLowerHex(value.AsSpan(Prefix.Length), PartitionLength + RandomLength))
        {
            return false;
        }

        id = new PaymentId(value);
        return true;
    }

    public override string ToString() => Value;

    private static bool IsLowerHex(ReadOnlySpan<char> text, int length)
    {
        if (text.Length != length)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
