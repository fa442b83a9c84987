using System.Diagnostics;
using System.Net;
using Functions.LocalHost.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Functions.LocalHost.Tests.Worker;

/// <summary>Each test owns its host: killing or stopping a worker must not disturb other tests.</summary>
public sealed class WorkerLifecycleTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly AzuriteFixture _azurite;
    private readonly string _table = AzuriteFixture.UniqueName("lifecycle");
    private readonly string _slowQueue = AzuriteFixture.UniqueName("slow-");
    private ILoggerFactory? _loggerFactory;
    private ListLoggerProvider _logs = null!;

    public WorkerLifecycleTests(AzuriteFixture azurite) => _azurite = azurite;

    public async Task InitializeAsync()
    {
        await _azurite.Tables().CreateTableIfNotExistsAsync(_table);
        await _azurite.Queues().CreateQueueAsync(_slowQueue);
    }

    public async Task DisposeAsync()
    {
        _loggerFactory?.Dispose();
        await _azurite.Tables().DeleteTableAsync(_table);
        await _azurite.Queues().DeleteQueueAsync(_slowQueue);
    }

    [Fact]
    public async Task KillWorker_WhenRequestIsInFlight_ShouldAnswer500ThenServeTheNextRequestFromANewWorker()
    {
        await using var host = await StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        var firstWorker = host.WorkerProcessId;
        var inFlight = client.GetAsync("api/slow?ms=30000");
        await Eventually.TrueAsync(() => host.PendingInvocations > 0, TimeSpan.FromSeconds(10), "the slow request reached the worker");

        await host.KillWorkerAsync();
        using var failed = await inFlight;

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("pong", await client.GetStringAsync("api/ping"));
        Assert.NotEqual(firstWorker, host.WorkerProcessId);
        Assert.True(HasExited(firstWorker), $"the killed worker {firstWorker} is still running");
        Assert.Contains(_logs.Entries, entry => entry.Level == LogLevel.Error && entry.Message.Contains($"worker process {firstWorker} died", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StopAsync_WhenRunning_ShouldTerminateTheWorkerGracefullyAndStopListening()
    {
        var host = await StartAsync();
        var worker = host.WorkerProcessId;
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("pong", await client.GetStringAsync("api/ping"));

        var exit = await host.StopAsync();

        Assert.NotNull(exit);
        Assert.Equal(worker, exit.ProcessId);
        Assert.Equal(0, exit.ExitCode);
        Assert.False(exit.Killed, "the worker had to be killed: it did not honour WorkerTerminate");
        Assert.True(HasExited(worker));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/ping"));
    }

    [Fact]
    public async Task StopAsync_WhenQueueMessageIsInFlight_ShouldLetItFinishAndDeleteItBeforeStoppingTheWorker()
    {
        var host = await StartAsync();
        var queue = _azurite.Queues().GetQueueClient(_slowQueue);
        var text = "drain-" + Guid.NewGuid().ToString("N");
        await queue.SendMessageAsync(text);
        await Eventually.TrueAsync(() => host.PendingInvocations > 0, TimeSpan.FromSeconds(15), "the slow message reached the worker");

        var exit = await host.StopAsync();

        Assert.False(exit!.Killed);
        var done = await _azurite.Tables().GetTableClient(_table).GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("slow-done", text);
        Assert.True(done.HasValue, "the in-flight message was cut off by the shutdown");
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    private async Task<LocalFunctionsHost> StartAsync()
    {
        _loggerFactory = ListLoggerProvider.CreateFactory(out _logs);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = AppDirectories.SampleApp,
            Settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = _azurite.ConnectionString,
                ["SampleStorage"] = _azurite.ConnectionString,
                ["Sample:ResultsTable"] = _table,
                ["Sample:RecordQueue"] = AzuriteFixture.UniqueName("record-"),
                ["Sample:FailingQueue"] = AzuriteFixture.UniqueName("failing-"),
                ["Sample:SlowQueue"] = _slowQueue,
                ["Sample:OrderQueue"] = AzuriteFixture.UniqueName("order-"),
            },
            LoggerFactory = _loggerFactory,
        }, timeout.Token);
    }

    private static bool HasExited(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
