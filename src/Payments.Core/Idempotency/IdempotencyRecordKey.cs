using System.Security.Cryptography;
using System.Text;

namespace Payments.Core.Idempotency;

/// <summary>
/// Where a caller's key lives: both table keys come from SHA-256(subject + '\n' + key). The hash spreads one busy
/// caller's keys over 4,096 partitions (a partition serves about 2,000 entities/s), and it makes any key safe to
/// store: Table Storage forbids '/', '\', '#', '?' and control characters in its keys, and a hash has none.
/// The split is unambiguous because a key never contains '\n'. Subject and raw key are stored beside the record for
/// operators, never used to find it.
/// </summary>
public sealed record IdempotencyRecordKey(string PartitionKey, string RowKey, string ScopeHash)
{
    /// <summary>Row keys of idempotency records start with this, so they never collide with resources sharing the table.</summary>
    public const string RowKeyPrefix = "idem-";

    public static IdempotencyRecordKey For(string subject, IdempotencyKey key)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(key);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject + "\n" + key.Value)));
        return new IdempotencyRecordKey(hash[..3], RowKeyPrefix + hash, hash);
    }

    /// <summary>A short, non-reversible label for logs: enough to correlate lines, useless to replay a key.</summary>
    public string LogId => ScopeHash[..16];

    /// <summary>The same kind of label for a subject alone.</summary>
    public static string SubjectLogId(string subject) => Auth.SubjectLogId.Of(subject);
}
