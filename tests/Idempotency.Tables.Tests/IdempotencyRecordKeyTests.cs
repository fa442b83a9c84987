using Idempotency.Tables;

namespace Idempotency.Tables.Tests;

public sealed class IdempotencyRecordKeyTests
{
    [Fact]
    public void For_WhenCalled_ShouldDeriveTableSafeKeysFromTheHash()
    {
        var record = IdempotencyRecordKey.For("merchant-1", IdempotencyKey.Parse("a/b\\c#d?e"));
        Assert.Matches("^[0-9a-f]{3}$", record.PartitionKey);
        Assert.Matches("^idem-[0-9a-f]{64}$", record.RowKey);
        Assert.True(SubjectPartitions.Owns("merchant-1", record.PartitionKey));
        Assert.Equal(record.PartitionKey[2], record.RowKey[IdempotencyRecordKey.RowKeyPrefix.Length]);
    }

    [Fact]
    public void For_WhenSubjectsDiffer_ShouldGiveDifferentRecords()
    {
        var key = IdempotencyKey.Parse("same-key");
        Assert.NotEqual(IdempotencyRecordKey.For("merchant-1", key).RowKey, IdempotencyRecordKey.For("merchant-2", key).RowKey);
    }

    [Fact]
    public void For_WhenOneCallerSendsManyKeys_ShouldSpreadThemEvenlyOverItsSixteenShards()
    {
        var perPartition = Enumerable.Range(0, 2000)
            .Select(i => IdempotencyRecordKey.For("busy-merchant", IdempotencyKey.Parse("key-" + i)).PartitionKey)
            .GroupBy(partition => partition)
            .ToDictionary(group => group.Key, group => group.Count());

        // Every shard, and no other partition; 2,000 keys over 16 shards is 125 each, give or take a few dozen.
        Assert.Equal(SubjectPartitions.All("busy-merchant").Order(StringComparer.Ordinal), perPartition.Keys.Order(StringComparer.Ordinal));
        Assert.All(perPartition.Values, count => Assert.InRange(count, 80, 170));
    }

    [Fact]
    public void For_WhenSubjectsDiffer_ShouldUseTheirOwnShards()
    {
        var key = IdempotencyKey.Parse("same-key");
        Assert.True(SubjectPartitions.Owns("merchant-1", IdempotencyRecordKey.For("merchant-1", key).PartitionKey));
        Assert.True(SubjectPartitions.Owns("merchant-2", IdempotencyRecordKey.For("merchant-2", key).PartitionKey));
        Assert.NotEqual(SubjectPartitions.All("merchant-1")[0][..2], SubjectPartitions.All("merchant-2")[0][..2]);
    }
}
