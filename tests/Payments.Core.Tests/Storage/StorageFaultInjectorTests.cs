using Azure;
using Azure.Data.Tables;
using Payments.Testing;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StorageFaultInjectorTests(AzuriteFixture azurite)
{
    private async Task<(TableClient Table, TableClient Plain, StorageFaultInjector Faults)> CreateAsync()
    {
        var plain = await azurite.CreateTableAsync("faults");
        var faults = new StorageFaultInjector();
        return (azurite.CreateClients(faults).GetTableClient(plain.Name), plain, faults);
    }

    [Fact]
    public async Task Add_WhenFaultLastsLongerThanTheRetries_ShouldSurfaceA503AndNotWrite()
    {
        var (table, plain, faults) = await CreateAsync();
        var rule = faults.Add(StorageOperation.EntityInsert, StorageFaultKind.ServiceUnavailable, StorageFaultTiming.BeforeSending);

        var failed = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal(503, failed.Status);
        Assert.Equal(4, rule.Hits);
        Assert.False((await plain.GetEntityIfExistsAsync<TableEntity>("p", "r")).HasValue);
    }

    [Fact]
    public async Task Add_WhenFaultIsANetworkErrorOnEveryAttempt_ShouldSurfaceTheSdksAggregateOfStatusZero()
    {
        var (table, _, faults) = await CreateAsync();
        faults.Add(StorageOperation.EntityRead, StorageFaultKind.NetworkError, StorageFaultTiming.BeforeSending);

        var failed = await Assert.ThrowsAsync<AggregateException>(() => table.GetEntityIfExistsAsync<TableEntity>("p", "r"));

        Assert.All(failed.InnerExceptions, e => Assert.Equal(0, Assert.IsType<RequestFailedException>(e).Status));
    }

    [Fact]
    public async Task Add_WhenFaultHitsAfterSending_ShouldLeaveTheWriteDoneAndTheAnswerLost()
    {
        var (table, plain, faults) = await CreateAsync();
        var rule = faults.Add(StorageOperation.EntityInsert, StorageFaultKind.ServiceUnavailable, StorageFaultTiming.AfterSending, times: 1);

        // The SDK retries the insert it believes failed, and the service says the entity already exists.
        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(new TableEntity("p", "r")));

        Assert.Equal(409, conflict.Status);
        Assert.Equal(1, rule.Hits);
        Assert.True((await plain.GetEntityIfExistsAsync<TableEntity>("p", "r")).HasValue);
    }

    [Fact]
    public async Task Add_WhenRuleMatchesOtherRequests_ShouldLeaveThemAlone()
    {
        var (table, _, faults) = await CreateAsync();
        var rule = faults.Add((_, path) => path.Contains("nothing-matches", StringComparison.Ordinal), StorageFaultKind.NetworkError, StorageFaultTiming.BeforeSending);

        await table.AddEntityAsync(new TableEntity("p", "r"));

        Assert.Equal(0, rule.Hits);
    }
}
