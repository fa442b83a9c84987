using System.Security.Cryptography;
using System.Text;

namespace Idempotency.Tables;

/// <summary>
/// The one hash behind keys and partitions: lower-case hex SHA-256 of the UTF-8 text. The same text gives the same
/// value on any instance and in any version, so keys derived from it stay where they were written.
/// </summary>
public static class StableHash
{
    /// <summary>How many hex digits of the hash name a partition (4,096 partitions).</summary>
    public const int PartitionLength = 3;

    /// <summary>The 64 lower-case hex digits of SHA-256(UTF-8 of <paramref name="text"/>).</summary>
    public static string Hex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The partition an item with this key lands in: the first <see cref="PartitionLength"/> hex digits of its hash.</summary>
    public static string Partition(string text) => Hex(text)[..PartitionLength];
}
