
namespace Idempotency.Tables;

/// <summary>
/// Where a caller's key lives: the row key comes from SHA-256(subject + '\n' + key), the partition is one of the
/// caller's 16 shards (<see cref="SubjectPartitions"/>), picked by that hash, so the resource created under the key
/// (and its listing index entries) can share the record's entity group transaction. The hash makes any key safe to
/// store: Table Storage forbids '/', '\', '#', '?' and control characters in its keys, and a hash has none.
/// The split is unambiguous because a key never contains '\n'. Subject and raw key are stored beside the record for
/// operators, never used to find it.
/// </summary>
public sealed record IdempotencyRecordKey(string PartitionKey, string RowKey, string ScopeHash)
{
    /// <summary>Row keys of idempotency records start with this, so they never collide with resources sharing the table.</summary>
    public const string RowKeyPrefix = "idem-";

    /// <summary>Where the record of <paramref name="key"/> sent by <paramref name="subject"/> lives.</summary>
    public static IdempotencyRecordKey For(string subject, IdempotencyKey key)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(key);
        var hash = StableHash.Hex(subject + "\n" + key.Value);
        return new IdempotencyRecordKey(SubjectPartitions.For(subject, hash), RowKeyPrefix + hash, hash);
    }

    /// <summary>A short, non-reversible label for logs: enough to correlate lines, useless to replay a key.</summary>
    public string LogId => ScopeHash[..16];

    /// <summary>The same kind of label for a subject alone.</summary>
    public static string SubjectLogId(string subject) => global::Idempotency.Tables.SubjectLogId.Of(subject);
}
