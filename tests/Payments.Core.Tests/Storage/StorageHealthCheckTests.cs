using Payments.Core.Storage;
using Payments.Core.Tests.Infrastructure;

namespace Payments.Core.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StorageHealthCheckTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CheckAsync_WhenAzuriteRuns_ShouldReportBothServicesReachable()
    {
        var health = await new StorageHealthCheck(azurite.CreateClients()).CheckAsync(CancellationToken.None);

        Assert.True(health.TablesReachable, health.Problem);
        Assert.True(health.QueuesReachable, health.Problem);
        Assert.Null(health.Problem);
    }

    [Fact]
    public async Task CheckAsync_WhenNothingListens_ShouldReportUnreachableWithinTimeout()
    {
        // Port 1 on loopback: nothing listens there, so connections are refused at once.
        var clients = new StorageClientFactory(new StorageConnection.ConnectionString(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Convert.ToBase64String(new byte[64]) +
            ";QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;"));

        var health = await new StorageHealthCheck(clients).CheckAsync(CancellationToken.None);

        Assert.False(health.IsHealthy);
        Assert.False(health.TablesReachable);
        Assert.False(health.QueuesReachable);
        Assert.Contains("Table storage", health.Problem, StringComparison.Ordinal);
        Assert.Contains("Queue storage", health.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_WhenCalledAgainWithinTheCacheDuration_ShouldNotAskStorageAgain()
    {
        var time = new ManualTimeProvider();
        var check = new StorageHealthCheck(azurite.CreateClients(), time, Microsoft.Extensions.Logging.Abstractions.NullLogger<StorageHealthCheck>.Instance);

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => check.CheckAsync(CancellationToken.None)));
        time.Advance(StorageHealthCheck.CacheDuration - TimeSpan.FromMilliseconds(1));
        await check.CheckAsync(CancellationToken.None);
        Assert.Equal(1, check.CheckCount);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await check.CheckAsync(CancellationToken.None);

        Assert.All(results, r => Assert.True(r.IsHealthy, r.Problem));
        Assert.Equal(2, check.CheckCount);
    }
}
