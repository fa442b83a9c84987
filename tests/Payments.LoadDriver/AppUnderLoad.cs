using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Functions.LocalHost;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Testing;

namespace Payments.LoadDriver;

/// <summary>
/// The payments app from its Release build output, run in this process by the local Functions host against one
/// storage connection, with its own tables, queue and token issuer.
/// </summary>
public sealed class AppUnderLoad : IAsyncDisposable
{
    private readonly StorageProxy? _storageProxy;

    private AppUnderLoad(
        string connectionString, Issuer issuer, Dictionary<string, string> settings, LocalFunctionsHost host, string suffix, StorageProxy? storageProxy)
    {
        _storageProxy = storageProxy;
        ConnectionString = connectionString;
        Issuer = issuer;
        Settings = settings;
        Host = host;
        Suffix = suffix;
        Client = CreateClient(host.BaseUrl);
    }

    public string ConnectionString { get; }

    public Issuer Issuer { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public LocalFunctionsHost Host { get; }

    public HttpClient Client { get; }

    public string Suffix { get; }

    /// <summary>What the app's worker sent to the tables, when it runs behind the strict storage guard; null otherwise.</summary>
    public StorageGuard? StorageGuard => _storageProxy?.Guard;

    /// <summary>Fails chosen table requests of the worker on the wire; null when the app runs without the proxy.</summary>
    public StorageFaultInjector? StorageFaults => _storageProxy?.Faults;

    public string PaymentsTable => Settings["Storage:PaymentsTable"];

    public string LedgerTable => Settings["Storage:LedgerTable"];

    public string PaymentsQueue => Settings["Storage:PaymentsQueue"];

    public static Dictionary<string, string> BaseSettings(string connectionString, string jwksPath, string suffix) => new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage"] = connectionString,
        ["PaymentsStorage"] = connectionString,
        ["Storage:IdempotencyTable"] = "idem" + suffix,
        ["Storage:PaymentsTable"] = "pay" + suffix,
        ["Storage:CustomersTable"] = "cus" + suffix,
        ["Storage:LedgerTable"] = "ledger" + suffix,
        ["Storage:PaymentsQueue"] = "payments-" + suffix,
        ["Storage:CreateIfMissing"] = "true",
        ["Payments:SweepAfterSeconds"] = "60",
        ["Payments:SweepBatchSize"] = "500",
        ["Payments:SweepSchedule"] = "0 0 0 1 1 *",
        ["Idempotency:ReaperSchedule"] = "0 0 0 1 1 *",
        ["Jwt:Issuer"] = Issuer.Name,
        ["Jwt:Audience"] = Issuer.Audience,
        ["Jwt:SigningKeysPath"] = jwksPath,
        ["Jwt:UnknownKeyRefreshInterval"] = "00:00:30",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = string.Empty,
    };

    public static async Task<AppUnderLoad> StartAsync(
        string appDirectory, string connectionString, IReadOnlyDictionary<string, string>? overrides, ILoggerFactory? loggerFactory, CancellationToken cancellationToken,
        TimeSpan? queueMessageLease = null, StorageGuard? storageGuard = null)
    {
        var issuer = new Issuer();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var settings = BaseSettings(connectionString, issuer.JwksPath, suffix);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        // The app's own storage goes through the guard's proxy; the host's (AzureWebJobsStorage) and the driver's do not.
        var storageProxy = storageGuard is null ? null : await StorageProxy.StartAsync(connectionString, storageGuard, cancellationToken);
        if (storageProxy is not null)
        {
            settings["PaymentsStorage"] = storageProxy.ConnectionString;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        var host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = appDirectory,
            Settings = settings,
            LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
            QueueMessageLease = queueMessageLease ?? TimeSpan.FromMinutes(10),
        }, timeout.Token);
        var app = new AppUnderLoad(connectionString, issuer, settings, host, suffix, storageProxy);
        // The app creates its tables and queue in the background as it starts; the driver's own storage calls must
        // not race that, so it makes sure they exist (creating an existing one is a no-op).
        foreach (var table in new[] { "Storage:IdempotencyTable", "Storage:PaymentsTable", "Storage:CustomersTable", "Storage:LedgerTable" })
        {
            await app.Table(settings[table]).CreateIfNotExistsAsync(cancellationToken);
        }

        await app.Queue(app.PaymentsQueue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        return app;
    }

    public static HttpClient CreateClient(Uri baseUrl) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = baseUrl,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public TableClient Table(string name) => new(ConnectionString, name);

    public QueueClient Queue(string name) =>
        new(ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        Issuer.Dispose();
        if (_storageProxy is not null)
        {
            await _storageProxy.DisposeAsync();
        }
    }
}
