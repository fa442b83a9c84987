using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using Azure.Data.Tables;
using Functions.LocalHost;
using Payments.DevTokens;

namespace Payments.Benchmarks;

/// <summary>
/// Time from POST to terminal state for many payments on this machine: starts a throw-away Azurite (unless
/// PAYMENTS_TEST_STORAGE names one), runs the built app under the local host, POSTs the payments with bounded
/// concurrency, then polls the payments table until none is pending or processing.
/// Usage: dotnet run -c Release --project tests/Payments.Benchmarks -- --drain 1000 [--concurrency 16]
/// </summary>
internal static class PaymentDrain
{
    public static async Task<int> RunAsync(int count, int concurrency)
    {
        var root = RepositoryRoot();
        var appDirectory = Path.Combine(root, "src", "Payments.Functions", "bin", "Release", "net10.0");
        if (!File.Exists(Path.Combine(appDirectory, "Payments.Functions.dll")))
        {
            await Console.Error.WriteLineAsync($"{appDirectory} holds no built app: run 'dotnet build -c Release src/Payments.Functions' first.");
            return 2;
        }

        var keys = Directory.CreateTempSubdirectory("payments-drain-keys");
        using var azurite = Environment.GetEnvironmentVariable("PAYMENTS_TEST_STORAGE") is { Length: > 0 } given ? null : ThrowawayAzurite.Start(root);
        var connection = azurite?.ConnectionString ?? Environment.GetEnvironmentVariable("PAYMENTS_TEST_STORAGE")!;
        try
        {
            using var issuer = DevTokenIssuer.LoadOrCreate(keys.FullName);
            var suffix = Guid.NewGuid().ToString("N")[..8];
            var paymentsTable = "drainpay" + suffix;
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["AzureWebJobsStorage"] = connection,
                ["PaymentsStorage"] = connection,
                ["Storage:IdempotencyTable"] = "drainidem" + suffix,
                ["Storage:PaymentsTable"] = paymentsTable,
                ["Storage:CustomersTable"] = "draincus" + suffix,
                ["Storage:LedgerTable"] = "drainledger" + suffix,
                ["Storage:PaymentsQueue"] = "drain-" + suffix,
                ["Storage:CreateIfMissing"] = "true",
                ["Payments:SweepAfterSeconds"] = "60",
                ["Payments:SweepBatchSize"] = "500",
                ["Payments:SweepSchedule"] = "0 */1 * * * *",
                ["Idempotency:ReaperSchedule"] = "0 0 0 1 1 *",
                ["Jwt:Issuer"] = DevTokenIssuer.DefaultIssuer,
                ["Jwt:Audience"] = DevTokenIssuer.DefaultAudience,
                ["Jwt:SigningKeysPath"] = issuer.JwksPath,
                ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = string.Empty,
            };
            var token = issuer.Mint("merchant-drain", "payments:read payments:write", TimeSpan.FromHours(1));

            using var startTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await using var host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
            {
                AppDirectory = appDirectory,
                Settings = settings,
                // Quiet: writing a log line per payment to the console would be part of the figure.
                LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            }, startTimeout.Token);
            using var client = new HttpClient { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Console.WriteLine($"App started on {host.BaseUrl}; {count} payments, {concurrency} concurrent POSTs, {Environment.ProcessorCount} cores.");

            // One warm-up payment so JIT and table creation are not in the figure.
            await PostAsync(client, "warmup-" + suffix);
            var table = new TableClient(connection, paymentsTable);
            await WaitUntilSettledAsync(table, 1, TimeSpan.FromSeconds(60));

            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency },
                async (i, _) => await PostAsync(client, $"drain-{suffix}-{i}"));
            var accepted = clock.Elapsed;
            await WaitUntilSettledAsync(table, count + 1, TimeSpan.FromMinutes(10));
            var drained = clock.Elapsed;

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Accepted {count} payments in {accepted.TotalSeconds:F1} s ({count / accepted.TotalSeconds:F0} POST/s); all terminal after {drained.TotalSeconds:F1} s: {count / drained.TotalSeconds:F1} payments/s from POST to terminal state."));
            return 0;
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    private static async Task PostAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/payments")
        {
            Content = new StringContent("""{"amount":1999,"currency":"EUR","source":"tok_visa"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Polls until the table holds <paramref name="expected"/> payments and none is pending or processing.</summary>
    private static async Task WaitUntilSettledAsync(TableClient table, int expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            int total = 0, open = 0;
            await foreach (var entity in table.QueryAsync<TableEntity>("Kind eq 'payment'", select: ["Status"], cancellationToken: deadline.Token))
            {
                total++;
                open += entity.GetString("Status") is "Pending" or "Processing" ? 1 : 0;
            }

            if (total >= expected && open == 0)
            {
                return;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("Run from inside the repository.");
    }

    /// <summary>The repository's pinned Azurite on free loopback ports, in memory, stopped on dispose.</summary>
    private sealed class ThrowawayAzurite : IDisposable
    {
        private readonly Process _process;

        private ThrowawayAzurite(Process process, string connectionString)
        {
            _process = process;
            ConnectionString = connectionString;
        }

        public string ConnectionString { get; }

        public static ThrowawayAzurite Start(string root)
        {
            var azurite = Path.Combine(root, "node_modules", ".bin", "azurite");
            if (!File.Exists(azurite))
            {
                throw new FileNotFoundException("Azurite is not installed: run 'npm ci' at the repository root first.", azurite);
            }

            int[] ports = [FreePort(), FreePort(), FreePort()];
            var start = new ProcessStartInfo(azurite)
            {
                ArgumentList =
                {
                    "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--inMemoryPersistence",
                    "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(CultureInfo.InvariantCulture),
                    "--queueHost", "127.0.0.1", "--queuePort", ports[1].ToString(CultureInfo.InvariantCulture),
                    "--tableHost", "127.0.0.1", "--tablePort", ports[2].ToString(CultureInfo.InvariantCulture),
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            foreach (var port in ports)
            {
                WaitForPort(port);
            }

            const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
            return new ThrowawayAzurite(process, string.Create(CultureInfo.InvariantCulture,
                $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:{ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ports[2]}/devstoreaccount1;"));
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private static void WaitForPort(int port)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
                {
                    Thread.Sleep(100);
                }
            }
        }
    }
}
