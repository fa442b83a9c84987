using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Functions.LocalHost.Tests.Infrastructure;

/// <summary>
/// The sample app running under the local host against Azurite, with its own table and queues. Starting a worker
/// costs about a second, so test classes share one through a fixture.
/// </summary>
public sealed class SampleAppHost : IAsyncLifetime
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>
    /// Far shorter than the real host's 10 minutes, so the sample's 4 s slow function outlives it and renewal is
    /// exercised. The host renews at half the lease, as the real listener does; a 1 s lease left only 0.5 s for a
    /// renewal to land, which a loaded machine missed (the message was delivered twice). 3 s leaves 1.5 s.
    /// </summary>
    public static readonly TimeSpan QueueMessageLease = TimeSpan.FromSeconds(3);

    private readonly AzuriteFixture _azurite = new();
    private ILoggerFactory? _loggerFactory;

    public LocalFunctionsHost Host { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public FakeLogCollector Logs { get; } = new();

    public TableClient Results { get; private set; } = null!;

    public QueueClient RecordQueue { get; private set; } = null!;

    public QueueClient FailingQueue { get; private set; } = null!;

    public QueueClient FailingPoisonQueue { get; private set; } = null!;

    public QueueClient SlowQueue { get; private set; } = null!;

    public QueueClient OrderQueue { get; private set; } = null!;

    /// <summary>A queue client without base64 encoding: what another producer might write, or read.</summary>
    public QueueClient RawQueue(string name) => new(_azurite.ConnectionString, name);

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        Results = _azurite.CreateClients().GetTableClient(AzuriteFixture.UniqueName("results"));
        await Results.CreateIfNotExistsAsync();
        var queues = _azurite.CreateClients();
        RecordQueue = queues.GetQueueClient(AzuriteFixture.UniqueName("record-"));
        FailingQueue = queues.GetQueueClient(AzuriteFixture.UniqueName("failing-"));
        FailingPoisonQueue = queues.GetQueueClient(FailingQueue.Name + "-poison");
        SlowQueue = queues.GetQueueClient(AzuriteFixture.UniqueName("slow-"));
        await SlowQueue.CreateIfNotExistsAsync();
        OrderQueue = queues.GetQueueClient(AzuriteFixture.UniqueName("order-"));
        await OrderQueue.CreateIfNotExistsAsync();
        await RecordQueue.CreateIfNotExistsAsync();
        await FailingQueue.CreateIfNotExistsAsync();

        _loggerFactory = Logs.CreateLoggerFactory(LogLevel.Information);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = AppDirectories.SampleApp,
            Settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = _azurite.ConnectionString,
                ["SampleStorage"] = _azurite.ConnectionString,
                ["Sample:ResultsTable"] = Results.Name,
                ["Sample:RecordQueue"] = RecordQueue.Name,
                ["Sample:FailingQueue"] = FailingQueue.Name,
                ["Sample:SlowQueue"] = SlowQueue.Name,
                ["Sample:OrderQueue"] = OrderQueue.Name,
            },
            QueueMessageLease = QueueMessageLease,
            MaxRequestBodyBytes = MaxRequestBodyBytes,
            LoggerFactory = _loggerFactory,
        }, timeout.Token);
        Client = new HttpClient { BaseAddress = Host.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        _loggerFactory?.Dispose();
        await Results.DeleteAsync();
        await RecordQueue.DeleteIfExistsAsync();
        await FailingQueue.DeleteIfExistsAsync();
        await FailingPoisonQueue.DeleteIfExistsAsync();
        await SlowQueue.DeleteIfExistsAsync();
        await OrderQueue.DeleteIfExistsAsync();
        await RawQueue(RecordQueue.Name + "-poison").DeleteIfExistsAsync();
        await _azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SampleAppCollection : ICollectionFixture<SampleAppHost>
{
    public const string Name = "Sample app under the local host";
}
