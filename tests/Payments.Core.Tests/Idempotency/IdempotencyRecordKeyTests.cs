using Payments.Core.Idempotency;

namespace Payments.Core.Tests.Idempotency;

public sealed class IdempotencyRecordKeyTests
{
    [Fact]
    public void For_WhenCalled_ShouldDeriveTableSafeKeysFromTheHash()
    {
        var record = IdempotencyRecordKey.For("merchant-1", IdempotencyKey.Parse("a/b\\c#d?e"));
        Assert.Matches("^[0-9a-f]{3}$", record.PartitionKey);
        Assert.Matches("^idem-[0-9a-f]{64}$", record.RowKey);
        Assert.StartsWith(record.PartitionKey, record.RowKey[IdempotencyRecordKey.RowKeyPrefix.Length..], StringComparison.Ordinal);
    }

    [Fact]
    public void For_WhenSubjectsDiffer_ShouldGiveDifferentRecords()
    {
        var key = IdempotencyKey.Parse("same-key");
        Assert.NotEqual(IdempotencyRecordKey.For("merchant-1", key).RowKey, IdempotencyRecordKey.For("merchant-2", key).RowKey);
    }

    [Fact]
    public void For_WhenOneCallerSendsManyKeys_ShouldSpreadThemOverManyPartitions()
    {
        var partitions = Enumerable.Range(0, 2000)
            .Select(i => IdempotencyRecordKey.For("busy-merchant", IdempotencyKey.Parse("key-" + i)).PartitionKey)
            .Distinct()
            .Count();
        // 2,000 keys over 4,096 partitions: a uniform hash lands on about 1,600 distinct ones.
        Assert.True(partitions > 1400, $"only {partitions} partitions used");
    }
}
