using Azure.Data.Tables;
using Idempotency.Tables;
using Payments.Core.Storage.Diagnostics;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyReaperTests(AzuriteFixture azurite)
{
    private static readonly RequestFingerprint Fingerprint = RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json", "{}"u8);

    private static async Task<IdempotencyLease> CompletedAsync(IdempotencyHarness h, string key)
    {
        var lease = Assert.IsType<ClaimOutcome.Claimed>(await h.Store.ClaimAsync(IdempotencyHarness.Subject, IdempotencyKey.Parse(key), Fingerprint, CancellationToken.None)).Lease;
        await lease.CompleteAsync(new StoredResponse(201, [], "{}"u8.ToArray()), CancellationToken.None);
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

    [Fact]
    public async Task ReapAsync_WhenRecordsExpired_ShouldDeleteThemAndKeepLiveOnesAndOtherEntities()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var old1 = await CompletedAsync(h, "old-1");
        var old2 = await CompletedAsync(h, "old-2");
        h.Time.Advance(TimeSpan.FromHours(h.Options.RetentionHours) - TimeSpan.FromMinutes(1));
        var live = await CompletedAsync(h, "live");
        // A resource sharing the table (and even an ExpiresAt property) is not the reaper's business.
        await h.PlainTable.AddEntityAsync(new TableEntity(old1.PartitionKey, "payment-1") { ["ExpiresAt"] = DateTimeOffset.UnixEpoch });
        h.Time.Advance(TimeSpan.FromMinutes(2));

        var result = await h.Reaper.ReapAsync(null, CancellationToken.None);

        Assert.Equal(new ReaperResult(2, 2, 0), result);
        Assert.False(result.BatchFull);
        var left = await RowKeysAsync(h.PlainTable);
        Assert.DoesNotContain(old1.RowKey, left);
        Assert.DoesNotContain(old2.RowKey, left);
        Assert.Contains(live.RowKey, left);
        Assert.Contains("payment-1", left);
    }

    [Fact]
    public async Task ReapAsync_WhenMoreExpiredThanTheBatch_ShouldStopAtTheBatchSize()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o => o.ReaperBatchSize = 3);
        for (var i = 0; i < 5; i++)
        {
            await CompletedAsync(h, "old-" + i);
        }

        h.Time.Advance(TimeSpan.FromHours(h.Options.RetentionHours) + TimeSpan.FromSeconds(1));

        var first = await h.Reaper.ReapAsync(null, CancellationToken.None);
        var second = await h.Reaper.ReapAsync(null, CancellationToken.None);

        Assert.Equal(3, first.Deleted);
        Assert.True(first.BatchFull);
        Assert.Equal(2, second.Deleted);
        Assert.Empty(await RowKeysAsync(h.PlainTable));
    }

    [Fact]
    public async Task ReapAsync_WhenARecordIsReclaimedBetweenQueryAndDelete_ShouldKeepIt()
    {
        var holder = new IdempotencyHarness[1];
        var reclaim = new RequestHookPolicy(
            m => StorageOperations.Classify(m.Request) == StorageOperation.EntityDelete,
            async () =>
            {
                // A client re-uses the expired key just before the reaper's delete goes out.
                Assert.IsType<ClaimOutcome.Claimed>(await holder[0].Store.ClaimAsync(
                    IdempotencyHarness.Subject, IdempotencyKey.Parse("old"), Fingerprint, CancellationToken.None));
            });
        var h = holder[0] = await IdempotencyHarness.CreateAsync(azurite, extraPolicies: reclaim);
        var old = await CompletedAsync(h, "old");
        h.Time.Advance(TimeSpan.FromHours(h.Options.RetentionHours) + TimeSpan.FromSeconds(1));

        var result = await h.Reaper.ReapAsync(null, CancellationToken.None);

        Assert.Equal(1, reclaim.Fired);
        Assert.Equal(new ReaperResult(1, 0, 1), result);
        var kept = (await h.PlainTable.GetEntityAsync<TableEntity>(old.PartitionKey, old.RowKey)).Value;
        Assert.Equal("in_progress", kept.GetString("State"));
    }
}
