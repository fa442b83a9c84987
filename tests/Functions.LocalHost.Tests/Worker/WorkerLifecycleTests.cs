using System.Diagnostics;
using System.Net;
using Functions.LocalHost.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Functions.LocalHost.Tests.Worker;

/// <summary>Each test owns its host: killing or stopping a worker must not disturb other tests.</summary>
public sealed class WorkerLifecycleTests : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly AzuriteFixture _azurite;
    private readonly string _table = AzuriteFixture.UniqueName("lifecycle");
    private readonly string _slowQueue = AzuriteFixture.UniqueName("slow-");
    private ILoggerFactory? _loggerFactory;
    private FakeLogCollector _logs = null!;

    public WorkerLifecycleTests(AzuriteFixture azurite) => _azurite = azurite;

    public async Task InitializeAsync()
    {
        await _azurite.CreateClients().TableService.CreateTableIfNotExistsAsync(_table);
        await _azurite.CreateClients().QueueService.CreateQueueAsync(_slowQueue);
    }

    public async Task DisposeAsync()
    {
        _loggerFactory?.Dispose();
        await _azurite.CreateClients().TableService.DeleteTableAsync(_table);
        await _azurite.CreateClients().QueueService.DeleteQueueAsync(_slowQueue);
    }

    [Fact]
    public async Task KillWorker_WhenRequestIsInFlight_ShouldAnswer500ThenServeTheNextRequestFromANewWorker()
    {
        await using var host = await StartAsync();
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var firstWorker = host.WorkerProcessId;

        // The request waits until the worker dies: no client timeout races the kill, however slow the machine.
        var inFlight = client.GetAsync("api/slow?ms=600000", deadline.Token);
        await Eventually.TrueAsync(() => host.PendingInvocations > 0, "the slow request reached the worker", TimeSpan.FromSeconds(60));

        await host.KillWorkerAsync();
        using var failed = await inFlight;

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("pong", await client.GetStringAsync("api/ping", deadline.Token));
        Assert.NotEqual(firstWorker, host.WorkerProcessId);
        Assert.True(HasExited(firstWorker), $"the killed worker {firstWorker} is still running");
        Assert.Contains(_logs.GetSnapshot(), entry => entry.Level == LogLevel.Error && entry.Message.Contains($"worker process {firstWorker} died", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillWorker_WhenItDiesAgainSoonAfterARestart_ShouldWaitTheRestartIntervalBeforeTheNextRestart()
    {
        await using var host = await StartAsync(options => options with { WorkerRestartInterval = TimeSpan.FromSeconds(3) });
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await host.KillWorkerAsync();
        var second = await host.WaitForWorkerAsync(deadline.Token);

        await host.KillWorkerAsync();
        var third = await host.WaitForWorkerAsync(deadline.Token);

        Assert.NotEqual(second, third);
        Assert.Contains(_logs.GetSnapshot(), entry => entry.Message.Contains("before restarting the worker (restart interval)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KillWorker_WhenItDiesTheErrorLimitTimesWithinTheWindow_ShouldStopRestartingAndFailRequests()
    {
        await using var host = await StartAsync(options => options with { WorkerErrorLimit = 2, WorkerRestartInterval = TimeSpan.Zero });
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await host.KillWorkerAsync();
        var second = await host.WaitForWorkerAsync(deadline.Token);

        await host.KillWorkerAsync();

        await Eventually.TrueAsync(() => _logs.GetSnapshot().Any(entry => entry.Level == LogLevel.Critical), "the host gave up", TimeSpan.FromSeconds(30));
        using var response = await client.GetAsync("api/ping", deadline.Token);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(HasExited(second));
        Assert.Single(_logs.GetSnapshot(), entry => entry.Message.StartsWith("Worker restarted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_WhenTheHttpFunctionIsDisabledByTheLinuxSettingForm_ShouldAnswer404()
    {
        await using var host = await StartAsync(options => options with
        {
            Settings = new Dictionary<string, string>(options.Settings) { ["AzureWebJobs_Ping_Disabled"] = "1" },
        });
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };

        using var response = await client.GetAsync("api/ping");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("Ping", host.FunctionNames);
    }

    [Fact]
    public async Task Invoke_WhenFunctionOutlivesFunctionTimeout_ShouldFailItAndRestartTheWorker()
    {
        await using var host = await StartAsync(options => options with { FunctionTimeout = TimeSpan.FromSeconds(2) });
        using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(90) };
        var firstWorker = host.WorkerProcessId;

        using var response = await client.GetAsync("api/slow?ms=600000");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains(_logs.GetSnapshot(), entry => entry.Message.Contains("exceeded functionTimeout of 2 s", StringComparison.Ordinal));
        Assert.Equal("pong", await client.GetStringAsync("api/ping"));
        Assert.NotEqual(firstWorker, host.WorkerProcessId);
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
    public async Task StopAsync_WhenQueueMessageIsInFlight_ShouldCancelItAndReleaseTheMessage()
    {
        await using var host = await StartAsync();
        var queue = _azurite.CreateClients().GetQueueClient(_slowQueue);
        var results = _azurite.CreateClients().GetTableClient(_table);
        var text = "hold-" + Guid.NewGuid().ToString("N");
        await queue.SendMessageAsync(text);
        await Eventually.UntilAsync(
            async () => (await results.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("slow-start", $"{text}-1")).HasValue,
            started => started,
            "the held message started in the function",
            TimeSpan.FromSeconds(60));

        var exit = await host.StopAsync();

        Assert.False(exit!.Killed, "the worker had to be killed: the cancelled invocation did not end");
        Assert.True((await results.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("slow-cancelled", text)).HasValue,
            "the function's cancellation token was not cancelled at stop");
        // Failed by its cancellation, released (visibilityTimeout 0): visible again for the next host.
        var released = Assert.Single((await queue.PeekMessagesAsync(32)).Value);
        Assert.Equal(text, released.Body.ToString());
    }

    private Task<LocalFunctionsHost> StartAsync() => StartAsync(options => options);

    private async Task<LocalFunctionsHost> StartAsync(Func<LocalHostOptions, LocalHostOptions> configure)
    {
        _logs = new FakeLogCollector();
        _loggerFactory = _logs.CreateLoggerFactory(LogLevel.Information);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await LocalFunctionsHost.StartAsync(configure(new LocalHostOptions
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
        }), timeout.Token);
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
