using Functions.LocalHost.Configuration;

namespace Functions.LocalHost.Tests.Configuration;

public sealed class HostJsonTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hostjson").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_WhenHostJsonHasNoExtensions_ShouldUseTheRealHostDefaults()
    {
        File.WriteAllText(Path.Combine(_directory, "host.json"), """{ "version": "2.0" }""");

        var hostJson = HostJson.Load(_directory);

        Assert.Equal("api", hostJson.RoutePrefix);
        Assert.Equal(16, hostJson.Queues.BatchSize);
        Assert.Equal(8 * Environment.ProcessorCount, hostJson.Queues.NewBatchThreshold);
        Assert.Equal(5, hostJson.Queues.MaxDequeueCount);
        Assert.Equal(TimeSpan.Zero, hostJson.Queues.VisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), hostJson.Queues.MaxPollingInterval);
        Assert.True(hostJson.Queues.Base64Encoding);
    }

    [Fact]
    public void Load_WhenQueueOptionsAndEmptyRoutePrefixAreGiven_ShouldUseThemWhateverTheKeyCase()
    {
        File.WriteAllText(Path.Combine(_directory, "host.json"), """
            { "version": "2.0", "extensions": { "http": { "routePrefix": "" },
              "Queues": { "BatchSize": 4, "maxDequeueCount": 2, "visibilityTimeout": "00:00:07", "maxPollingInterval": "00:00:01", "messageEncoding": "none" } } }
            """);

        var hostJson = HostJson.Load(_directory);

        Assert.Equal(string.Empty, hostJson.RoutePrefix);
        Assert.Equal(4, hostJson.Queues.BatchSize);
        Assert.Equal(2 * Environment.ProcessorCount, hostJson.Queues.NewBatchThreshold);
        Assert.Equal(2, hostJson.Queues.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(7), hostJson.Queues.VisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), hostJson.Queues.MaxPollingInterval);
        Assert.False(hostJson.Queues.Base64Encoding);
    }

    [Fact]
    public void Load_WhenBatchSizeIsOutOfRange_ShouldFailSayingTheAllowedRange()
    {
        File.WriteAllText(Path.Combine(_directory, "host.json"), """{ "extensions": { "queues": { "batchSize": 64 } } }""");

        var error = Assert.Throws<InvalidOperationException>(() => HostJson.Load(_directory));

        Assert.Contains("between 1 and 32", error.Message, StringComparison.Ordinal);
    }
}
