using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Functions.LocalHost;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;
using Microsoft.Extensions.Logging;

// Throughput and latency through the local host (HTTP over loopback -> Kestrel -> gRPC -> worker) to the sample
// app's trivial Ping function, next to the raw gRPC invocation rate (bypassing Kestrel) and the start-to-ready time.
//   dotnet run -c Release --project tests/Functions.LocalHost.Benchmarks -- [--seconds 5] [--starts 3] [--json FILE]
// --json writes the figures for scripts/bench.sh, whose report takes the host's goals from them.
var seconds = IntOption(args, "--seconds", 5);
var starts = IntOption(args, "--starts", 3);
var jsonIndex = Array.IndexOf(args, "--json");
var jsonPath = jsonIndex >= 0 && jsonIndex + 1 < args.Length ? args[jsonIndex + 1] : null;
var appDirectory = Path.GetFullPath(typeof(Measurement).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
    .Single(attribute => attribute.Key == "SampleAppDirectory").Value!);
var options = new LocalHostOptions
{
    AppDirectory = appDirectory,
    // Only the HTTP functions: the queue and timer functions would need storage and add background noise.
    Settings = new Dictionary<string, string>
    {
        ["AzureWebJobs.RecordMessage.Disabled"] = "true",
        ["AzureWebJobs.AlwaysFails.Disabled"] = "true",
        ["AzureWebJobs.AlwaysFailsOnPoison.Disabled"] = "true",
        ["AzureWebJobs.SlowMessage.Disabled"] = "true",
        ["AzureWebJobs.EverySecond.Disabled"] = "true",
        ["AzureWebJobs.RecordOrder.Disabled"] = "true",
    },
    LoggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)),
};

Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeVersion()}; {seconds} s per measurement.");
var startTimes = new List<double>();
var workerInitTimes = new List<double>();
for (var i = 0; i < starts - 1; i++)
{
    await using var probe = await LocalFunctionsHost.StartAsync(options, CancellationToken.None);
    startTimes.Add(probe.StartupTime.TotalMilliseconds);
    workerInitTimes.Add(probe.WorkerStartToInitResponse.TotalMilliseconds);
}

await using var host = await LocalFunctionsHost.StartAsync(options, CancellationToken.None);
startTimes.Add(host.StartupTime.TotalMilliseconds);
workerInitTimes.Add(host.WorkerStartToInitResponse.TotalMilliseconds);
Console.WriteLine($"Start-to-ready (process start, handshake, indexing, loading, listeners): {string.Join(", ", startTimes.Select(ms => $"{ms:0} ms"))}");
Console.WriteLine($"Of which the worker's own start, process start to its init response: {string.Join(", ", workerInitTimes.Select(ms => $"{ms:0} ms"))}");
var rows = new List<object>();

using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, UseProxy = false };
using var client = new HttpClient(handler) { BaseAddress = host.BaseUrl };
var pingUrl = new Uri(host.BaseUrl, "api/ping");

Console.WriteLine();
Console.WriteLine("| Path | Clients | Requests/s | p50 (ms) | p99 (ms) |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var clients in new[] { 1, 16 })
{
    await MeasureAsync(TimeSpan.FromSeconds(1), clients, HttpPingAsync);
    var http = await MeasureAsync(TimeSpan.FromSeconds(seconds), clients, HttpPingAsync);
    Report("HTTP via local host", clients, http);
    await MeasureAsync(TimeSpan.FromSeconds(1), clients, GrpcPingAsync);
    var grpc = await MeasureAsync(TimeSpan.FromSeconds(seconds), clients, GrpcPingAsync);
    Report("raw gRPC invocation", clients, grpc);
    rows.Add(new { path = "HTTP via local host", clients, http.RequestsPerSecond, http.P50, http.P99 });
    rows.Add(new { path = "raw gRPC invocation", clients, grpc.RequestsPerSecond, grpc.P50, grpc.P99 });
}

if (jsonPath is not null)
{
    await File.WriteAllTextAsync(jsonPath, System.Text.Json.JsonSerializer.Serialize(new { startToReadyMs = startTimes, workerStartToInitResponseMs = workerInitTimes, rows }));
}

await host.StopAsync(CancellationToken.None);
return 0;

async Task HttpPingAsync(CancellationToken cancellationToken)
{
    using var response = await client.GetAsync(pingUrl, cancellationToken);
    response.EnsureSuccessStatusCode();
    await response.Content.ReadAsByteArrayAsync(cancellationToken);
}

async Task GrpcPingAsync(CancellationToken cancellationToken)
{
    var response = await host.InvokeAsync("Ping", function =>
    {
        var http = new RpcHttp { Method = "GET", Url = pingUrl.ToString() };
        http.NullableHeaders["host"] = new NullableString { Value = pingUrl.Authority };
        return InvocationFactory.Create(function, function.Trigger.Name, new TypedData { Http = http });
    }, cancellationToken);
    if (response.Result.Status != StatusResult.Types.Status.Success)
    {
        throw new InvalidOperationException($"Ping failed: {response.Result.Exception?.Message}");
    }
}

static async Task<Measurement> MeasureAsync(TimeSpan duration, int clients, Func<CancellationToken, Task> call)
{
    var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var latencies = new List<double>[clients];
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
    {
        var mine = latencies[client] = new List<double>(100_000);
        while (Stopwatch.GetTimestamp() < until)
        {
            var before = Stopwatch.GetTimestamp();
            await call(CancellationToken.None);
            mine.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
        }
    }));
    var elapsed = Stopwatch.GetElapsedTime(started);
    var all = latencies.SelectMany(list => list).Order().ToArray();
    return new Measurement(all.Length / elapsed.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99));
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];

static void Report(string path, int clients, Measurement measurement) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {path} | {clients} | {measurement.RequestsPerSecond:N0} | {measurement.P50:0.00} | {measurement.P99:0.00} |"));

static int IntOption(string[] arguments, string name, int fallback)
{
    var index = Array.IndexOf(arguments, name);
    return index >= 0 && index + 1 < arguments.Length && int.TryParse(arguments[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

static string RuntimeVersion() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

internal sealed record Measurement(double RequestsPerSecond, double P50, double P99);
