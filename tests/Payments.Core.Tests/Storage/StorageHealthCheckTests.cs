using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Storage;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StorageHealthCheckTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CheckAsync_WhenEveryTableAndQueueExists_ShouldReportBothServicesReachable()
    {
        var names = await CreateAllAsync();

        var health = await new StorageHealthCheck(azurite.CreateAppClients(), names).CheckAsync(CancellationToken.None);

        Assert.True(health.TablesReachable, health.Problem);
        Assert.True(health.QueuesReachable, health.Problem);
        Assert.Null(health.Problem);
    }

    [Fact]
    public async Task CheckAsync_WhenChecking_ShouldAskOnlyTheAppsOwnTablesAndQueuesOnce()
    {
        // In Azure the identity's roles are scoped to each table and queue: an account-level request (listing
        // tables, the queue service's properties) would be refused there, however kindly Azurite answers it.
        var names = await CreateAllAsync();
        var requests = new ConcurrentQueue<(string Method, string Path)>();
        var recorder = new RequestHookPolicy(
            message =>
            {
                requests.Enqueue((message.Request.Method.ToString(), message.Request.Uri.ToUri().AbsolutePath));
                return false;
            },
            () => Task.CompletedTask);

        var health = await new StorageHealthCheck(azurite.CreateAppClients(recorder), names).CheckAsync(CancellationToken.None);

        Assert.True(health.IsHealthy, health.Problem);
        var expected = names.AllTables()
            .Select(table => ("GET", $"/{table}(PartitionKey='{StorageHealthCheck.ProbeKey}',RowKey='{StorageHealthCheck.ProbeKey}')"))
            .Concat(names.AllQueues().Select(queue => ("GET", $"/{queue}")))
            .Order();
        Assert.Equal(expected, requests.Select(r => (r.Method, AccountPath(r.Path))).Order());
    }

    [Fact]
    public async Task CheckAsync_WhenATableIsMissing_ShouldReportTablesUnreachableNamingTheTable()
    {
        var names = await CreateAllAsync();
        await azurite.CreateClients().GetTableClient(names.LedgerTable).DeleteAsync();

        var health = await new StorageHealthCheck(azurite.CreateAppClients(), names).CheckAsync(CancellationToken.None);

        Assert.False(health.IsHealthy);
        Assert.False(health.TablesReachable);
        Assert.True(health.QueuesReachable, health.Problem);
        Assert.Equal($"Table '{names.LedgerTable}': the service answered 404 (TableNotFound).", health.Problem);
    }

    [Fact]
    public async Task CheckAsync_WhenThePoisonQueueIsMissing_ShouldReportQueuesUnreachableNamingTheQueue()
    {
        var names = await CreateAllAsync();
        await azurite.CreateClients().GetQueueClient(names.PaymentsPoisonQueue).DeleteAsync();

        var health = await new StorageHealthCheck(azurite.CreateAppClients(), names).CheckAsync(CancellationToken.None);

        Assert.False(health.IsHealthy);
        Assert.True(health.TablesReachable, health.Problem);
        Assert.False(health.QueuesReachable);
        Assert.Equal($"Queue '{names.PaymentsPoisonQueue}': the service answered 404 (QueueNotFound).", health.Problem);
    }

    [Fact]
    public async Task CheckAsync_WhenNothingListens_ShouldReportUnreachableWithinTimeout()
    {
        // Port 1 on loopback: nothing listens there, so connections are refused at once.
        var clients = new StorageClientFactory(new StorageConnection.ConnectionString(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Convert.ToBase64String(new byte[64]) +
            ";QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;"));

        var health = await new StorageHealthCheck(clients, new StorageOptions()).CheckAsync(CancellationToken.None);

        Assert.False(health.IsHealthy);
        Assert.False(health.TablesReachable);
        Assert.False(health.QueuesReachable);
        Assert.Contains("Table 'idempotency'", health.Problem, StringComparison.Ordinal);
        Assert.Contains("Queue 'payments-poison'", health.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_WhenCalledAgainWithinTheCacheDuration_ShouldNotAskStorageAgain()
    {
        var names = await CreateAllAsync();
        var time = new FakeTimeProvider();
        var check = new StorageHealthCheck(azurite.CreateAppClients(), names, time, NullLogger<StorageHealthCheck>.Instance);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => check.CheckAsync(CancellationToken.None)));
        time.Advance(StorageHealthCheck.CacheDuration - TimeSpan.FromMilliseconds(1));
        await check.CheckAsync(CancellationToken.None);
        Assert.Equal(1, check.CheckCount);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await check.CheckAsync(CancellationToken.None);

        Assert.All(results, r => Assert.True(r.IsHealthy, r.Problem));
        Assert.Equal(2, check.CheckCount);
    }

    /// <summary>Unique names for this test, with every table and queue created the way the app creates them locally.</summary>
    private async Task<StorageOptions> CreateAllAsync()
    {
        var names = new StorageOptions
        {
            IdempotencyTable = AzuriteFixture.UniqueName("hidem"),
            PaymentsTable = AzuriteFixture.UniqueName("hpay"),
            CustomersTable = AzuriteFixture.UniqueName("hcust"),
            LedgerTable = AzuriteFixture.UniqueName("hledger"),
            DeadLettersTable = AzuriteFixture.UniqueName("hdead"),
            PaymentsQueue = AzuriteFixture.UniqueName("hq"),
        };
        await new StorageInitializer(azurite.CreateAppClients(), Options.Create(names)).EnsureCreatedAsync(CancellationToken.None);
        return names;
    }

    /// <summary>The path below the account (Azurite puts the account name first in the path, Azure in the host name).</summary>
    private static string AccountPath(string path) => "/" + Uri.UnescapeDataString(path).Split('/', 3)[2];
}
