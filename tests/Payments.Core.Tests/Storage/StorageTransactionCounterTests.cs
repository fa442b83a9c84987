using Azure.Data.Tables;
using Payments.Testing;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StorageTransactionCounterTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Snapshot_WhenRequestsAreSent_ShouldCountEachByOperation()
    {
        var name = (await azurite.CreateTableAsync("counter")).Name;
        var counter = new StorageTransactionCounter();
        var table = azurite.CreateClients(counter).GetTableClient(name);

        await table.AddEntityAsync(new TableEntity("p", "r1"));
        await table.GetEntityIfExistsAsync<TableEntity>("p", "r1");
        await table.UpsertEntityAsync(new TableEntity("p", "r1") { ["V"] = 1 }, TableUpdateMode.Replace);
        await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "r2"))]);
        await foreach (var _ in table.QueryAsync<TableEntity>("PartitionKey eq 'p'"))
        {
        }

        await table.DeleteEntityAsync("p", "r1");

        var snapshot = counter.Snapshot();
        Assert.Equal(6, snapshot.Total);
        Assert.Equal(1, snapshot[StorageOperation.EntityInsert]);
        Assert.Equal(1, snapshot[StorageOperation.EntityRead]);
        Assert.Equal(1, snapshot[StorageOperation.EntityReplace]);
        Assert.Equal(1, snapshot[StorageOperation.TableBatch]);
        Assert.Equal(1, snapshot[StorageOperation.TableQuery]);
        Assert.Equal(1, snapshot[StorageOperation.EntityDelete]);
    }

    [Fact]
    public async Task Reset_WhenCalled_ShouldReturnTheCountAndStartFromZero()
    {
        var name = (await azurite.CreateTableAsync("counter")).Name;
        var counter = new StorageTransactionCounter();
        var table = azurite.CreateClients(counter).GetTableClient(name);
        await table.AddEntityAsync(new TableEntity("p", "r1"));

        var before = counter.Reset();
        await table.GetEntityIfExistsAsync<TableEntity>("p", "r1");

        Assert.Equal(1, before.Total);
        Assert.Equal(1, counter.Total);
        Assert.Equal(0, counter.Snapshot()[StorageOperation.EntityInsert]);
    }

    [Fact]
    public async Task Count_WhenTheSdkRetries_ShouldCountEveryAttempt()
    {
        var name = (await azurite.CreateTableAsync("counter")).Name;
        var faults = new StorageFaultInjector();
        var counter = new StorageTransactionCounter();
        var table = azurite.CreateClients(counter, faults).GetTableClient(name);
        faults.Add(StorageOperation.EntityInsert, StorageFaultKind.ServiceUnavailable, StorageFaultTiming.BeforeSending, times: 2);

        await table.AddEntityAsync(new TableEntity("p", "r1"));

        Assert.Equal(3, counter.Snapshot()[StorageOperation.EntityInsert]);
    }

    [Fact]
    public async Task Count_WhenManyThreadsSend_ShouldLoseNoCount()
    {
        var name = (await azurite.CreateTableAsync("counter")).Name;
        var counter = new StorageTransactionCounter();
        var table = azurite.CreateClients(counter).GetTableClient(name);

        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => table.AddEntityAsync(new TableEntity("p", "r" + i)))));

        Assert.Equal(64, counter.Total);
        Assert.Equal(64, counter.Snapshot()[StorageOperation.EntityInsert]);
    }
}
