using System.Net.Http.Headers;
using System.Reflection;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Functions.LocalHost;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Payments.Core.Storage;
using Payments.Functions.Tests.Infrastructure;
using Payments.Testing;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// The payments app as built, run by the local Functions host over real HTTP against Azurite, with its own tables,
/// queues and token issuer, so test classes never see each other's data. Start more than one for statelessness tests.
/// </summary>
public sealed class PaymentsApp : IAsyncDisposable
{
    public const string AzuriteVariable = "PAYMENTS_TEST_STORAGE";

    private readonly FakeLogCollector _logs;
    private readonly SentSecrets _sent = new();
    private readonly ILoggerFactory _loggerFactory;

    private PaymentsApp(PaymentsAppSettings settings, LocalFunctionsHost host, FakeLogCollector logs, ILoggerFactory loggerFactory)
    {
        Settings = settings;
        Host = host;
        _logs = logs;
        _loggerFactory = loggerFactory;
        Client = NewClient(host);
    }

    public PaymentsAppSettings Settings { get; }

    public LocalFunctionsHost Host { get; private set; }

    public HttpClient Client { get; private set; }

    /// <summary>Every line the local host and the worker logged, as "{level} {category}: {message} {exception}".</summary>
    public IReadOnlyCollection<string> Logs => _logs.GetSnapshot().Select(log => $"{log.Level} {log.Category}: {log.Message} {log.Exception}").ToArray();

    public static string AppDirectory
    {
        get
        {
            var directory = Path.GetFullPath(typeof(PaymentsApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(attribute => attribute.Key == "PaymentsAppDirectory").Value!);
            return Directory.Exists(directory) ? directory : throw new DirectoryNotFoundException($"{directory} does not exist; build the solution first.");
        }
    }

    public static async Task<PaymentsApp> StartAsync(PaymentsAppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var logs = new FakeLogCollector();
        // Every level: a secret written at Debug is as leaked as one written at Error.
        var loggerFactory = logs.CreateLoggerFactory(LogLevel.Trace);
        return new PaymentsApp(settings, await StartHostAsync(settings, loggerFactory), logs, loggerFactory);
    }

    /// <summary>Stops the host and its worker and starts them again on the same storage: nothing may be lost.</summary>
    public async Task RestartAsync()
    {
        await Host.StopAsync();
        Client.Dispose();
        Host = await StartHostAsync(Settings, _loggerFactory);
        Client = NewClient(Host);
    }

    /// <summary>What the tests sent (tokens, subjects, Idempotency-Keys); see <see cref="DisposeAsync"/>.</summary>
    public SentSecrets Sent => _sent;

    public static HttpRequestMessage Request(HttpMethod method, string path, string? token = null, string? json = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null, string? json = null, string? idempotencyKey = null)
    {
        using var request = Request(method, path, token, json, idempotencyKey);
        return await Client.SendAsync(request);
    }

    /// <summary>
    /// Stops the app, then fails if any line the host or the worker logged during its life contains a token, subject
    /// or Idempotency-Key a test sent: every end-to-end test class is covered this way, whatever it tested.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        _loggerFactory.Dispose();
        var leaks = _sent.FindIn(Logs);
        if (leaks.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"The app logged {leaks.Count} value(s) a test sent and that must never be logged:{Environment.NewLine}"
                + string.Join(Environment.NewLine, leaks.Take(20)));
        }
    }

    private HttpClient NewClient(LocalFunctionsHost host) =>
        new(new SentSecrets.RecordingHandler(_sent)) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<LocalFunctionsHost> StartHostAsync(PaymentsAppSettings settings, ILoggerFactory loggerFactory)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        return await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppDirectory = AppDirectory,
            Settings = settings.ToDictionary(),
            LoggerFactory = loggerFactory,
        }, timeout.Token);
    }
}

/// <summary>Everything an app instance is configured with; two instances with the same settings share all state.</summary>
public sealed class PaymentsAppSettings : IDisposable
{
    private readonly string _keysDirectory = Directory.CreateTempSubdirectory("payments-e2e-keys").FullName;
    private readonly StorageProxy _storageProxy;

    public PaymentsAppSettings()
    {
        // Kestrel binds and starts synchronously enough for a constructor; there is no synchronization context here.
        _storageProxy = StorageProxy.StartAsync(ConnectionString, new StorageGuard(), CancellationToken.None).GetAwaiter().GetResult();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        Tables = new StorageOptions
        {
            IdempotencyTable = "idem" + suffix,
            PaymentsTable = "pay" + suffix,
            CustomersTable = "cus" + suffix,
            LedgerTable = "ledger" + suffix,
            DeadLettersTable = "dead" + suffix,
            PaymentsQueue = "payments-" + suffix,
        };
        PublishKeys(Issuer.Rsa);
    }

    public string ConnectionString { get; } =
        Environment.GetEnvironmentVariable(PaymentsApp.AzuriteVariable) is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";

    /// <summary>Sees every table request the app's worker makes (through <see cref="StorageProxy"/>): rule 1 and request counts.</summary>
    public StorageGuard StorageGuard => _storageProxy.Guard;

    public TestIssuer Issuer { get; } = new();

    public StorageOptions Tables { get; }

    public string JwksPath => Path.Combine(_keysDirectory, "jwks.json");

    /// <summary>Settings a test class changes before start (lock time, sweep schedule...).</summary>
    public Dictionary<string, string> Overrides { get; } = new(StringComparer.Ordinal);

    /// <summary>Replaces the published signing keys (key rotation); the app picks them up on its next refresh.</summary>
    public void PublishKeys(params Microsoft.IdentityModel.Tokens.SecurityKey[] keys)
    {
        var temporary = JwksPath + ".tmp";
        File.WriteAllText(temporary, TestIssuer.Jwks(keys));
        File.Move(temporary, JwksPath, overwrite: true);
    }

    public string Token(string subject = "merchant-1", string scope = "payments:read payments:write") =>
        Issuer.Token(subject: subject, scope: scope);

    public TableClient Table(string name) => new(ConnectionString, name);

    public QueueClient Queue(string name) =>
        new(ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public const string EnvironmentSetting = "AZURE_FUNCTIONS_ENVIRONMENT";

    public Dictionary<string, string> ToDictionary()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AzureWebJobsStorage"] = ConnectionString,
            // The app's own storage goes through the strict guard; the host's (queue triggers, AzureWebJobsStorage) does not.
            [StorageOptions.ConnectionName] = _storageProxy.ConnectionString,
            ["Storage:IdempotencyTable"] = Tables.IdempotencyTable,
            ["Storage:PaymentsTable"] = Tables.PaymentsTable,
            ["Storage:CustomersTable"] = Tables.CustomersTable,
            ["Storage:LedgerTable"] = Tables.LedgerTable,
            ["Storage:DeadLettersTable"] = Tables.DeadLettersTable,
            ["Storage:PaymentsQueue"] = Tables.PaymentsQueue,
            ["Storage:CreateIfMissing"] = "true",
            ["Payments:SweepAfterSeconds"] = "60",
            ["Payments:SweepBatchSize"] = "500",
            ["Payments:SweepSchedule"] = "0 0 0 1 1 *",
            ["Idempotency:ReaperSchedule"] = "0 0 0 1 1 *",
            ["Jwt:Issuer"] = TestIssuer.Issuer,
            ["Jwt:Audience"] = TestIssuer.Audience,
            ["Jwt:SigningKeysPath"] = JwksPath,
            ["Jwt:UnknownKeyRefreshInterval"] = "00:00:01",
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = string.Empty,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty,

            // What Azure runs as; DevelopmentEnvironmentTests re-runs the main paths as Core Tools' Development.
            [EnvironmentSetting] = "Production",
        };
        foreach (var (key, value) in Overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Fails the test class when the app broke contract rule 1, even where it swallowed the proxy's error.</summary>
    public void Dispose()
    {
        Issuer.Dispose();
        Directory.Delete(_keysDirectory, recursive: true);
        _storageProxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        StorageGuard.ThrowIfViolated();
    }
}
