using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Payments.Functions.Tests.EndToEnd.Idempotency;

/// <summary>The app with its reaper timer firing every two seconds instead of every fifteen minutes.</summary>
public sealed class FastReaperAppFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Idempotency:ReaperSchedule"] = "*/2 * * * * *";
    }
}

/// <summary>The timer-triggered reaper, run by the host on its schedule, against records in every table that keeps them.</summary>
public sealed class IdempotencyReaperTests(FastReaperAppFixture fixture) : IClassFixture<FastReaperAppFixture>
{
    [Fact]
    public async Task ReapIdempotencyRecords_WhenRecordsExpired_ShouldDeleteThemAndKeepLiveOnes()
    {
        var tables = new[] { fixture.Settings.Tables.IdempotencyTable, fixture.Settings.Tables.PaymentsTable, fixture.Settings.Tables.CustomersTable };
        // No waiting for storage: a started app has created its tables (creation once raced the first invocations).
        var expired = new List<(TableClient Table, IdempotencyRecordKey Key)>();
        var live = new List<(TableClient Table, IdempotencyRecordKey Key)>();
        foreach (var name in tables)
        {
            var table = fixture.Settings.Table(name);
            expired.Add((table, await ClaimAsync(table, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2)), complete: true)));
            expired.Add((table, await ClaimAsync(table, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2)), complete: false)));
            live.Add((table, await ClaimAsync(table, TimeProvider.System, complete: true)));
            live.Add((table, await ClaimAsync(table, TimeProvider.System, complete: false)));
        }

        // A run walks all 4,096 partitions of each table from its checkpoint (3 x 4,096 range queries through the guard's
        // proxy), and the run going on when the records were written may be past their partitions: they are reaped by the
        // next full pass at the latest, which on this shared 2-core machine can take tens of seconds.
        await Eventually.UntilAsync(
            async () => (await Task.WhenAll(expired.Select(record => ExistsAsync(record.Table, record.Key)))).Count(exists => exists),
            remaining => remaining == 0, "the reaper deleted every expired record", TimeSpan.FromSeconds(120));

        foreach (var (table, key) in live)
        {
            Assert.True(await ExistsAsync(table, key), $"a live record in {table.Name} was deleted");
        }
    }

    private static async Task<IdempotencyRecordKey> ClaimAsync(TableClient table, TimeProvider time, bool complete)
    {
        var subject = "merchant-reaper";
        var key = IdempotencyKey.Parse("reaper-" + Guid.NewGuid());
        var store = new IdempotencyStore(table, new IdempotencyOptions { LockSeconds = 2, RetentionHours = 1 }, time, NullLogger<IdempotencyStore>.Instance);
        var claimed = Assert.IsType<ClaimOutcome.Claimed>(
            await store.ClaimAsync(subject, key, RequestFingerprint.Compute("POST", "/api/v1/payments", "application/json", "{}"u8), CancellationToken.None));
        if (complete)
        {
            Assert.Equal(LeaseCompletion.Completed, await claimed.Lease.CompleteAsync(new StoredResponse(202, [], "{}"u8.ToArray()), CancellationToken.None));
        }

        return IdempotencyRecordKey.For(subject, key);
    }

    private static async Task<bool> ExistsAsync(TableClient table, IdempotencyRecordKey key) =>
        (await table.GetEntityIfExistsAsync<TableEntity>(key.PartitionKey, key.RowKey)).HasValue;
}
