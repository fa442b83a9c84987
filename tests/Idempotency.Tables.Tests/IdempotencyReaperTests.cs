using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Testing;
using Xunit.Abstractions;

namespace Idempotency.Tables.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyReaperTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private static readonly RequestFingerprint Fingerprint = RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json", "{}"u8);

    /// <summary>A subject whose 16 shards are partitions 000 to 00f: the first 16 a run walks from a fresh checkpoint.</summary>
    private static readonly string Subject = Enumerable.Range(0, 100_000).Select(i => "merchant-" + i).First(s => SubjectPartitions.Owns(s, "000"));

    private static int _keys;

    /// <summary>The reaper expires records of past hours only: this much after a record's expiry it is certainly a candidate.</summary>
    private static readonly TimeSpan PastItsHour = TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1);

    private static IdempotencyKey KeyIn(int shard)
    {
        while (true)
        {
            var key = IdempotencyKey.Parse("reaper-" + Interlocked.Increment(ref _keys));
            if (IdempotencyRecordKey.For(Subject, key).PartitionKey == SubjectPartitions.At(shard))
            {
                return key;
            }
        }
    }

    private static async Task<IdempotencyLease> CompletedAsync(IdempotencyHarness h, IdempotencyKey key)
    {
        var lease = Assert.IsType<ClaimOutcome.Claimed>(await h.Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None)).Lease;
        Assert.Equal(LeaseCompletion.Completed, await lease.CompleteAsync(new StoredResponse(201, [], "{}"u8.ToArray()), CancellationToken.None));
        return lease;
    }

    private static async Task<List<string>> RowKeysAsync(TableClient table)
    {
        var keys = new List<string>();
        using var inspection = StrictStoragePolicy.InspectionByTest();
        await foreach (var e in table.QueryAsync<TableEntity>(select: ["RowKey"]))
        {
            keys.Add(e.RowKey);
        }

        return keys;
    }

    /// <summary>The harness's reaper over its own client behind a guard with no allowance: any cross-partition query fails.</summary>
    private (IdempotencyReaper Reaper, StorageGuard Cost) Guarded(IdempotencyHarness h)
    {
        var cost = new StorageGuard([]);
        var table = azurite.CreateClients(new StrictStoragePolicy(cost)).GetTableClient(h.PlainTable.Name);
        var store = new IdempotencyStore(table, h.Options, h.Time, NullLogger<IdempotencyStore>.Instance);
        var reaper = new IdempotencyReaper(new IdempotencyStores(table.Name, _ => store), Microsoft.Extensions.Options.Options.Create(h.Options), h.Time,
            NullLogger<IdempotencyReaper>.Instance);
        return (reaper, cost);
    }

    [Fact]
    public async Task ReapAsync_WhenRecordsExpired_ShouldDeleteThemWithTheirEntriesAndKeepLiveOnesAndOtherEntities()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var old1 = await CompletedAsync(h, KeyIn(1));
        var old2 = await CompletedAsync(h, KeyIn(2));
        h.Time.Advance(TimeSpan.FromHours(2));
        var live = await CompletedAsync(h, KeyIn(1));
        // A resource sharing the table (and even an ExpiresAt property) is not the reaper's business.
        await h.PlainTable.AddEntityAsync(new TableEntity(old1.PartitionKey, "payment-1") { ["ExpiresAt"] = DateTimeOffset.UnixEpoch });
        h.Time.Advance(TimeSpan.FromHours(h.Options.RetentionHours - 2) + PastItsHour);

        var result = await h.Reaper.ReapAsync(null, CancellationToken.None);

        Assert.Equal(new ReaperResult(2, 2, 0) { PartitionsRead = SubjectPartitions.Count }, result); // a full pass, batch not full
        var left = await RowKeysAsync(h.PlainTable);
        Assert.DoesNotContain(left, key => key.Contains(old1.RowKey, StringComparison.Ordinal));
        Assert.DoesNotContain(left, key => key.Contains(old2.RowKey, StringComparison.Ordinal));
        Assert.Contains(live.RowKey, left);
        Assert.Contains(left, key => key.StartsWith("exp-", StringComparison.Ordinal) && key.EndsWith(live.RowKey, StringComparison.Ordinal));
        Assert.Contains("payment-1", left);
    }

    [Fact]
    public async Task ReapAsync_WhenManyLiveRecordsAndOtherEntitiesShareThePartitions_ShouldReadOnlyTheCandidates()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var expired = new List<IdempotencyLease>();
        for (var i = 0; i < 5; i++)
        {
            expired.Add(await CompletedAsync(h, KeyIn(i * 3)));
        }

        h.Time.Advance(TimeSpan.FromHours(2));
        // 208 live records (13 in each of the subject's 16 shards), and 100 entities of other kinds in each shard, on both
        // sides of the expiry entries' range.
        for (var i = 0; i < 208; i++)
        {
            await CompletedAsync(h, KeyIn(i % 16));
        }

        for (var shard = 0; shard < 16; shard++)
        {
            var partition = SubjectPartitions.At(shard);
            await h.PlainTable.SubmitTransactionAsync(Enumerable.Range(0, 100).Select(i => new TableTransactionAction(
                TableTransactionActionType.Add, new TableEntity(partition, $"{(i % 2 == 0 ? "due-" : "pay_")}{i:d4}") { ["ExpiresAt"] = DateTimeOffset.UnixEpoch })));
        }

        h.Time.Advance(TimeSpan.FromHours(h.Options.RetentionHours - 2) + PastItsHour);
        var (reaper, cost) = Guarded(h);

        var result = await reaper.ReapAsync(null, maxPartitions: 16, CancellationToken.None);
        var counted = cost.Reset();
        output.WriteLine($"reaper over 16 partitions holding 5 expired records, 208 live ones and 1,600 other entities: {counted}");

        Assert.Equal(new ReaperResult(5, 5, 0) { PartitionsRead = 16 }, result);
        Assert.Equal(5, counted.EntitiesRead); // the expired records' entries, nothing else
        Assert.Equal(16, counted[StorageOperation.TableQuery]); // one range query per partition
        Assert.Equal(5 + 1, counted[StorageOperation.EntityRead]); // each candidate's record, and the checkpoint
        Assert.Equal(5, counted[StorageOperation.TableBatch]); // record and entry deleted together
        Assert.Equal(16 + 5 + 5 + 2, counted.Total); // + checkpoint read and write
        cost.ThrowIfViolated();
        var left = await RowKeysAsync(h.PlainTable);
        Assert.Equal(208 * 2 + 1600 + 1, left.Count); // live records and their entries, the other entities, the checkpoint
        Assert.All(expired, lease => Assert.DoesNotContain(lease.RowKey, left));
    }

    [Fact]
    public async Task ReapAsync_WhenARunStopsAtItsBatch_ShouldResumeWhereItStopped()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o => o.ReaperBatchSize = 3);
        foreach (var shard in new[] { 1, 1, 3, 3, 5, 5 })
        {
            await CompletedAsync(h, KeyIn(shard));
        }

        h.Time.Advance(h.Options.Retention + PastItsHour);
        var (reaper, cost) = Guarded(h);

        var first = await reaper.ReapAsync(null, maxPartitions: 32, CancellationToken.None);
        cost.Reset();
        var second = await reaper.ReapAsync(null, maxPartitions: 32, CancellationToken.None);
        var secondCost = cost.Reset();
        var third = await reaper.ReapAsync(null, maxPartitions: 32, CancellationToken.None);

        Assert.Equal(3, first.Deleted);
        Assert.True(first.BatchFull);
        Assert.Equal(3, second.Deleted);
        Assert.Equal(3, secondCost.EntitiesRead); // only the three left, from partition 003 on
        Assert.Equal(16, second.PartitionsRead); // one wave, 003 to 012: it started where the first run stopped
        Assert.Equal(0, third.Scanned);
        Assert.Equal(["reaper-checkpoint"], await RowKeysAsync(h.PlainTable));
    }

    [Fact]
    public async Task ReapAsync_WhenARecordIsReclaimedBetweenItsReadAndTheDelete_ShouldKeepIt()
    {
        var holder = new IdempotencyHarness[1];
        var key = KeyIn(4);
        var armed = false;
        var reclaim = new RequestHookPolicy(
            m => Volatile.Read(ref armed) && StorageOperations.Classify(m.Request) == StorageOperation.TableBatch,
            async () =>
            {
                // A client re-uses the expired key just before the reaper's delete goes out.
                Assert.IsType<ClaimOutcome.Claimed>(await holder[0].Store.ClaimAsync(Subject, key, Fingerprint, CancellationToken.None));
            });
        var h = holder[0] = await IdempotencyHarness.CreateAsync(azurite, extraPolicies: reclaim);
        var old = await CompletedAsync(h, key);
        h.Time.Advance(h.Options.Retention + PastItsHour);
        Volatile.Write(ref armed, true);

        var result = await h.Reaper.ReapAsync(null, maxPartitions: 16, CancellationToken.None);
        var next = await h.Reaper.ReapAsync(null, CancellationToken.None); // a full pass from where the first stopped, round to 000 again

        Assert.Equal(1, reclaim.Fired);
        Assert.Equal(new ReaperResult(1, 0, 1) { PartitionsRead = 16 }, result);
        Assert.Equal(new ReaperResult(1, 0, 0) { Stale = 1, PartitionsRead = SubjectPartitions.Count }, next); // the old entry, now stale
        var kept = (await h.PlainTable.GetEntityAsync<TableEntity>(old.PartitionKey, old.RowKey)).Value;
        Assert.Equal("in_progress", kept.GetString("State"));
        Assert.Single(await RowKeysAsync(h.PlainTable), k => k.StartsWith("exp-", StringComparison.Ordinal)); // the new claim's entry
    }

    [Fact]
    public async Task ReapAsync_WhenAnExpiredKeyWasReusedBeforeTheRun_ShouldRemoveOnlyTheStaleEntry()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var key = KeyIn(7);
        var old = await CompletedAsync(h, key);
        h.Time.Advance(h.Options.Retention + PastItsHour);
        var renewed = await CompletedAsync(h, key);
        var (reaper, cost) = Guarded(h);

        var result = await reaper.ReapAsync(null, maxPartitions: 16, CancellationToken.None);

        Assert.Equal(new ReaperResult(1, 0, 0) { Stale = 1, PartitionsRead = 16 }, result);
        Assert.Equal(1, cost.Snapshot()[StorageOperation.EntityDelete]);
        var stored = (await h.PlainTable.GetEntityAsync<TableEntity>(renewed.PartitionKey, renewed.RowKey)).Value;
        Assert.Equal(old.RowKey, stored.RowKey);
        Assert.Equal("completed", stored.GetString("State"));
        Assert.Single(await RowKeysAsync(h.PlainTable), k => k.StartsWith("exp-", StringComparison.Ordinal));
    }
}
