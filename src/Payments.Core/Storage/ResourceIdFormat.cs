using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Idempotency.Tables;

namespace Payments.Core.Storage;

/// <summary>
/// The one id-and-partition rule of the app's resources: <c>{prefix}{3 hex partition}{32 hex}</c>. An id carries its
/// table partition, so a read is one point read and a caller's resources spread over its shard partitions
/// (<see cref="SubjectPartitions"/>) instead of crowding one. <see cref="Payments.PaymentId"/> and
/// <see cref="Customers.CustomerId"/> are this shape under their own prefix.
/// </summary>
public sealed class ResourceIdFormat
{
    private const int RandomLength = 32;

    private readonly string _prefix;

    public ResourceIdFormat(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _prefix = prefix;
    }

    /// <summary>A new random id in <paramref name="partitionKey"/>.</summary>
    public string New(string partitionKey) =>
        Start(partitionKey) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomLength / 2));

    /// <summary>
    /// The same id for the same seed (an idempotency record's key), so a retry after a partial failure addresses the
    /// resource the first attempt began, instead of starting a second one.
    /// </summary>
    public string Derive(string partitionKey, string seed) => Start(partitionKey) + StableHash.Hex(seed)[..RandomLength];

    /// <summary>Accepts exactly the ids this format hands out; anything else (traversal, unicode, other callers' formats) is not an id.</summary>
    public bool IsValid([NotNullWhen(true)] string? value) =>
        value is not null && value.Length == _prefix.Length + StableHash.PartitionLength + RandomLength
        && value.StartsWith(_prefix, StringComparison.Ordinal) && IsLowerHex(value.AsSpan(_prefix.Length));

    /// <summary>The partition a valid id names.</summary>
    public string PartitionOf(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Substring(_prefix.Length, StableHash.PartitionLength);
    }

    private string Start(string partitionKey)
    {
        if (partitionKey is not { Length: StableHash.PartitionLength } || !IsLowerHex(partitionKey))
        {
            throw new ArgumentException($"The partition of a '{_prefix}' id is {StableHash.PartitionLength} lower-case hex digits.", nameof(partitionKey));
        }

        return _prefix + partitionKey;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
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
