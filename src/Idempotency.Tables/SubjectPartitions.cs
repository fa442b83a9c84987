
namespace Idempotency.Tables;

/// <summary>
/// The partition rule: a subject (a caller) writes to 16 shard partitions, <c>{2 hex of SHA-256(subject)}{1 hex of
/// the item's own hash}</c>. Sixteen shards keep one busy caller under a partition's ~2,000 entities/s (docs/scale.md),
/// and a fixed, small set lets one caller's listing read a bounded number of partitions. The 4,096 partitions are
/// shared by the 256 subject groups; what is one subject's inside them is told apart by <see cref="Tag"/> in the row key.
/// Neither key ever holds the raw subject.
/// </summary>
public static class SubjectPartitions
{
    /// <summary>How many shard partitions one subject writes to.</summary>
    public const int PerSubject = 16;

    /// <summary>Every partition there is: 256 subject groups of 16 shards, <c>000</c> to <c>fff</c>.</summary>
    public const int Count = 4096;

    /// <summary>The partition at <paramref name="index"/> (wrapping) in the fixed order background jobs walk them.</summary>
    public static string At(int index) => ((index % Count + Count) % Count).ToString("x3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The shard of an item of <paramref name="subject"/> whose own hash (lower hex) is <paramref name="itemHash"/>.</summary>
    public static string For(string subject, string itemHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemHash);
        return Hash(subject)[..2] + itemHash[0];
    }

    /// <summary>The 16 shard partitions of <paramref name="subject"/>.</summary>
    public static IReadOnlyList<string> All(string subject)
    {
        var group = Hash(subject)[..2];
        return [.. "0123456789abcdef".Select(shard => group + shard)];
    }

    /// <summary>Whether <paramref name="partitionKey"/> is one of <paramref name="subject"/>'s shards.</summary>
    public static bool Owns(string subject, string partitionKey) =>
        partitionKey is { Length: 3 } && partitionKey.StartsWith(Hash(subject)[..2], StringComparison.Ordinal);

    /// <summary>Names the subject inside row keys of shared partitions: 80 bits of its hash, never the subject itself.</summary>
    public static string Tag(string subject) => Hash(subject)[..20];

    private static string Hash(string subject)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        return StableHash.Hex(subject);
    }
}
