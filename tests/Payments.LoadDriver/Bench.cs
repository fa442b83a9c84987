using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Functions.Http;
using Payments.Functions.Http.Payments;
using Payments.Testing;

namespace Payments.LoadDriver;

public sealed class BenchOptions
{
    public required string AppDirectory { get; init; }

    public required string ConnectionString { get; init; }

    public required string OutputDirectory { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 8, 32];

    /// <summary>Payments accepted for the queue-drain scenario (0 skips it).</summary>
    public int DrainPayments { get; init; } = 300;

    /// <summary>Only these scenarios (null: all).</summary>
    public IReadOnlyCollection<string>? Scenarios { get; init; }

    /// <summary>
    /// The app's table requests always pass the strict guard's proxy; true sends the raw baselines' table requests
    /// through a proxy of their own too, so both sides of a ratio pay the same loopback hop.
    /// </summary>
    public bool BaselinesThroughProxy { get; init; } = true;

    public TextWriter Progress { get; init; } = Console.Out;
}

public sealed record TransactionCount(string Operation, long Total, string Detail);

public sealed record Goal(string Name, bool Met, string Measured, string Why);

public sealed record BenchResult(
    IReadOnlyList<ScenarioResult> Scenarios, IReadOnlyList<TransactionCount> Transactions, IReadOnlyList<Goal> Goals,
    double? DrainPerSecond, string ReportDirectory);

/// <summary>The benchmark: app scenarios over HTTP and raw storage baselines, on the same Azurite, in one run.</summary>
public sealed class BenchRun
{
    public const string RawInsert = "raw-insert";
    public const string RawInsertEnqueue = "raw-insert+enqueue";
    public const string RawRead = "raw-read";
    public const string RawQueueRoundTrip = "raw-enqueue+dequeue+delete";
    public const string PostNew = "POST new key";
    public const string PostReplay = "POST replay";
    public const string Get = "GET";
    public const string GetNotModified = "GET If-None-Match (304)";

    /// <summary>Each app scenario against the least storage work it must do.</summary>
    public static readonly IReadOnlyDictionary<string, string> BaselineOf = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [PostNew] = RawInsertEnqueue,
        [PostReplay] = RawRead,
        [Get] = RawRead,
        [GetNotModified] = RawRead,
    };

    private readonly BenchOptions _options;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<ScenarioResult> _results = [];

    private BenchRun(BenchOptions options) => _options = options;

    public static Task<BenchResult> RunAsync(BenchOptions options, CancellationToken cancellationToken) => new BenchRun(options).RunAsync(cancellationToken);

    private void Say(string line) => _options.Progress.WriteLine(Inv.S($"[bench {_clock.Elapsed.TotalSeconds,6:0.0}s] {line}"));

    private bool Wanted(string scenario) => _options.Scenarios is null || _options.Scenarios.Contains(scenario);

    private async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.OutputDirectory);
        // The app's worker reaches its tables only through the strict guard's proxy, as in the end-to-end and chaos runs.
        var appGuard = new StorageGuard();
        await using var app = await AppUnderLoad.StartAsync(_options.AppDirectory, _options.ConnectionString, null, null, cancellationToken, storageGuard: appGuard);
        await using var baselineProxy = _options.BaselinesThroughProxy ? await StorageProxy.StartAsync(_options.ConnectionString, new StorageGuard(), cancellationToken) : null;
        Say($"App started in {app.Host.StartupTime.TotalSeconds:0.0} s on {app.Host.BaseUrl}, its tables behind the strict guard's proxy; baselines {(baselineProxy is null ? "direct" : "through a proxy of their own")}");
        var token = app.Issuer.Token("bench-merchant");
        var transactions = await CountTransactionsAsync(app, cancellationToken);
        foreach (var count in transactions)
        {
            Say($"Storage transactions, {count.Operation}: {count.Total} ({count.Detail})");
        }

        var raw = baselineProxy is null ? app.Table("rawbench" + app.Suffix) : new TableClient(baselineProxy.ConnectionString, "rawbench" + app.Suffix);
        await raw.CreateIfNotExistsAsync(cancellationToken);
        await raw.AddEntityAsync(new TableEntity("p", "read-me") { ["Value"] = new string('x', 600) }, cancellationToken);
        var rawQueue = app.Queue("rawbench-" + app.Suffix);
        await rawQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        // The insert+enqueue baseline fills its own queue, emptied after each run: Azurite slows down as a queue grows,
        // and the app's queue is kept short by the worker.
        var rawOutbox = app.Queue("rawoutbox-" + app.Suffix);
        await rawOutbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var seed = await PostAsync(app, token, "bench-seed-" + Guid.NewGuid().ToString("N"), cancellationToken);
        await WaitForQueueEmptyAsync(app, cancellationToken);
        var (getStatus, etag) = await GetAsync(app, token, seed.Id!, null, cancellationToken);
        if (getStatus != 200 || etag is null)
        {
            throw new InvalidOperationException(Inv.S($"GET of the seed payment answered {getStatus}."));
        }

        var completedKeys = new ConcurrentQueue<string>();
        foreach (var clients in _options.Concurrency)
        {
            await MeasureAsync(RawInsert, clients, (_, ct) => Try(() => raw.AddEntityAsync(new TableEntity("p" + Random.Shared.Next(4096), Guid.NewGuid().ToString("N")) { ["Value"] = "x" }, ct)), cancellationToken);
            await MeasureAsync(RawInsertEnqueue, clients, async (_, ct) =>
            {
                var id = Guid.NewGuid().ToString("N");
                await raw.AddEntityAsync(new TableEntity("p" + Random.Shared.Next(4096), id) { ["Value"] = "x" }, ct);
                await rawOutbox.SendMessageAsync(Inv.S($$"""{"v":1,"paymentId":"{{id}}"}"""), ct);
                return null;
            }, cancellationToken);
            await rawOutbox.ClearMessagesAsync(cancellationToken);
            await MeasureAsync(RawRead, clients, (_, ct) => Try(() => raw.GetEntityAsync<TableEntity>("p", "read-me", cancellationToken: ct)), cancellationToken);
            await MeasureAsync(RawQueueRoundTrip, clients, async (_, ct) =>
            {
                await rawQueue.SendMessageAsync("x", ct);
                var received = (await rawQueue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30), ct)).Value;
                foreach (var message in received)
                {
                    await rawQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
                }

                return received.Length == 1 ? null : "no message received";
            }, cancellationToken);
            await rawQueue.ClearMessagesAsync(cancellationToken);

            await MeasureAsync(PostNew, clients, async (_, ct) =>
            {
                var key = "bench-" + Guid.NewGuid().ToString("N");
                var answer = await PostAsync(app, token, key, ct);
                if (answer.Status == 202)
                {
                    completedKeys.Enqueue(key);
                    return null;
                }

                return Inv.S($"POST answered {answer.Status}");
            }, cancellationToken);
            if (Wanted(PostNew))
            {
                // The accepted payments are charged in the background; let that finish so it does not load the next scenario.
                await WaitForQueueEmptyAsync(app, cancellationToken);
            }

            var replayKeys = completedKeys.IsEmpty ? [] : completedKeys.ToArray();
            var next = -1;
            await MeasureAsync(PostReplay, clients, async (_, ct) =>
            {
                if (replayKeys.Length == 0)
                {
                    return "no completed keys to replay";
                }

                var answer = await PostAsync(app, token, replayKeys[(int)((uint)Interlocked.Increment(ref next) % (uint)replayKeys.Length)], ct);
                return answer.Status == 202 ? null : Inv.S($"replay answered {answer.Status}");
            }, cancellationToken);
            await MeasureAsync(Get, clients, async (_, ct) =>
            {
                var (status, _) = await GetAsync(app, token, seed.Id!, null, ct);
                return status == 200 ? null : Inv.S($"GET answered {status}");
            }, cancellationToken);
            await MeasureAsync(GetNotModified, clients, async (_, ct) =>
            {
                var (status, _) = await GetAsync(app, token, seed.Id!, etag, ct);
                return status == 304 ? null : Inv.S($"GET If-None-Match answered {status}");
            }, cancellationToken);
        }

        double? drain = null;
        if (_options.DrainPayments > 0 && Wanted("drain"))
        {
            drain = await DrainAsync(app, token, cancellationToken);
        }

        var goals = Goals(transactions);
        goals.Add(new("the app's worker sent no table query across partitions", appGuard.Violations.Count == 0,
            Inv.S($"{appGuard.Violations.Count} violations; the worker's table requests in the run: {appGuard.Snapshot()}"),
            "every table request of the worker passed the strict guard's proxy (tests/Payments.Testing/StorageProxy.cs)"));
        var result = new BenchResult(_results, transactions, goals, drain, _options.OutputDirectory);
        await BenchReport.WriteAsync(result, _options, app.Host.StartupTime);
        foreach (var goal in goals)
        {
            Say($"{(goal.Met ? "PASS" : "MISS")}  {goal.Name}: {goal.Measured}");
        }

        return result;
    }

    private static async Task<string?> Try(Func<Task> action)
    {
        await action();
        return null;
    }

    private async Task MeasureAsync(string scenario, int clients, Func<int, CancellationToken, Task<string?>> operation, CancellationToken cancellationToken)
    {
        if (!Wanted(scenario))
        {
            return;
        }

        var result = await LoadLoop.RunAsync(scenario, clients, _options.Duration, operation, cancellationToken);
        _results.Add(result);
        Say($"{scenario,-28} {clients,3} clients: {result.PerSecond,8:0.0}/s  p50 {result.P50Ms,7:0.00} ms  p99 {result.P99Ms,7:0.00} ms  errors {result.Errors}{(result.FirstError is null ? string.Empty : " (" + result.FirstError + ")")}");
    }

    private static async Task<(int Status, string? Id)> PostAsync(AppUnderLoad app, string token, string key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/payments")
        {
            Content = new StringContent("""{"amount":1999,"currency":"EUR","source":"tok_visa"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await app.Client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return ((int)response.StatusCode, null);
        }

        using var document = JsonDocument.Parse(body);
        return (202, document.RootElement.GetProperty("id").GetString());
    }

    private static async Task<(int Status, string? ETag)> GetAsync(AppUnderLoad app, string token, string id, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/payments/" + id);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        using var response = await app.Client.SendAsync(request, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return ((int)response.StatusCode, response.Headers.ETag?.ToString());
    }

    private async Task WaitForQueueEmptyAsync(AppUnderLoad app, CancellationToken cancellationToken)
    {
        var queue = app.Queue(app.PaymentsQueue);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(5))
        {
            var properties = await queue.GetPropertiesAsync(cancellationToken);
            if (properties.Value.ApproximateMessagesCount == 0)
            {
                Say($"Queue drained in {waited.Elapsed.TotalSeconds:0.0} s");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        Say("Queue did not drain within 5 minutes; continuing");
    }

    private async Task<double> DrainAsync(AppUnderLoad app, string token, CancellationToken cancellationToken)
    {
        var count = _options.DrainPayments;
        Say($"Queue drain: accepting {count} payments with 32 clients, then waiting for all to be terminal");
        var table = app.Table(app.PaymentsTable);
        var ids = new ConcurrentBag<string>();
        var next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var answer = await PostAsync(app, token, "drain-" + Guid.NewGuid().ToString("N"), cancellationToken);
                if (answer.Id is not null)
                {
                    ids.Add(answer.Id);
                }
            }
        }));
        var accepted = clock.Elapsed;
        while (clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            var open = 0;
            await foreach (var entity in table.QueryAsync<TableEntity>("Kind eq 'payment' and Status ne 'Succeeded' and Status ne 'Failed'", select: ["RowKey"], cancellationToken: cancellationToken))
            {
                open++;
            }

            if (open == 0)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        var total = clock.Elapsed;
        var perSecond = ids.Count / total.TotalSeconds;
        Say($"Queue drain: {ids.Count} payments accepted in {accepted.TotalSeconds:0.0} s and terminal after {total.TotalSeconds:0.0} s: {perSecond:0.0} payments/s");
        _results.Add(new ScenarioResult("queue drain (POST to terminal)", 32, ids.Count, count - ids.Count, total.TotalSeconds, perSecond, 0, 0, 0));
        return perSecond;
    }

    /// <summary>
    /// The same Core calls the functions make, in this process, with a counting pipeline policy: storage transactions
    /// cannot be counted across processes, so they are counted here, one operation of each kind.
    /// </summary>
    private static async Task<List<TransactionCount>> CountTransactionsAsync(AppUnderLoad app, CancellationToken cancellationToken)
    {
        var counter = new StorageTransactionCounter();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(app.Settings.ToDictionary(p => p.Key, p => (string?)p.Value)).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddPaymentsCore(configuration);
        services.AddPaymentsHttp(configuration);
        services.AddSingleton<HttpPipelinePolicy>(counter);
        await using var provider = services.BuildServiceProvider();
        var processor = provider.GetRequiredService<IdempotentRequestProcessor>();
        var endpoints = provider.GetRequiredService<PaymentEndpoints>();
        var paymentProcessor = provider.GetRequiredService<PaymentProcessor>();
        var body = """{"amount":1999,"currency":"EUR","source":"tok_visa"}"""u8.ToArray();
        var request = new CreatePaymentRequest(1999, "EUR", "tok_visa", null, null, null);
        var key = "count-" + Guid.NewGuid().ToString("N");
        string? paymentId = null;

        async Task<IdempotentResponse> Post() => await processor.ProcessAsync(
            new IdempotentRequest("bench-merchant", key, "POST", PaymentEndpoints.CollectionPath, "application/json", body)
            {
                Table = app.PaymentsTable,
                Mode = IdempotencyMode.Claimless, // as [Idempotent(Payments, Claimless)] on CreatePayment
            },
            async (lease, ct) =>
            {
                var answer = await endpoints.CreateAsync("bench-merchant", lease, request, null, ct);
                return new HandlerResult(answer.StatusCode, answer.Headers, answer.Body) { Retention = lease.Retention };
            }, cancellationToken);

        var counts = new List<TransactionCount>();
        counter.Reset();
        var created = await Post();
        using (var document = JsonDocument.Parse(created.Body))
        {
            paymentId = document.RootElement.GetProperty("id").GetString()!;
        }

        counts.Add(Describe("POST new key (accept)", counter.Reset()));
        await Post();
        counts.Add(Describe("POST replay", counter.Reset()));
        await endpoints.GetAsync("bench-merchant", paymentId, null, null, cancellationToken);
        counts.Add(Describe("GET one payment", counter.Reset()));
        await paymentProcessor.ProcessAsync(Inv.S($$"""{"v":1,"paymentId":"{{paymentId}}"}"""), cancellationToken);
        counts.Add(Describe("processing one payment (tables + ledger, not the host's dequeue/delete)", counter.Reset()));
        return counts;
    }

    private static TransactionCount Describe(string operation, StorageTransactionSnapshot snapshot) =>
        new(operation, snapshot.Total, string.Join(", ", snapshot.ByOperation.OrderBy(p => p.Key).Select(p => Inv.S($"{p.Key} {p.Value}"))));

    private List<Goal> Goals(List<TransactionCount> transactions)
    {
        var goals = new List<Goal>
        {
            new("an accepted payment costs 2 storage transactions", transactions[0].Total == 2, Inv.S($"{transactions[0].Total} ({transactions[0].Detail})"), "counted in-process around the Core calls the function makes"),
            new("a replay costs at most 2", transactions[1].Total <= 2, Inv.S($"{transactions[1].Total} ({transactions[1].Detail})"), "counted in-process"),
            new("a GET costs 1", transactions[2].Total == 1, Inv.S($"{transactions[2].Total} ({transactions[2].Detail})"), "counted in-process"),
        };
        var post8 = _results.FirstOrDefault(r => r.Scenario == PostNew && r.Clients == 8);
        var base8 = _results.FirstOrDefault(r => r.Scenario == RawInsertEnqueue && r.Clients == 8);
        if (post8 is not null && base8 is not null)
        {
            var ratio = post8.PerSecond / base8.PerSecond;
            goals.Add(new("POST throughput at 8 clients is at least 70% of raw insert+enqueue", ratio >= 0.7,
                Inv.S($"{post8.PerSecond:0.0}/s vs {base8.PerSecond:0.0}/s = {ratio:P0}"),
                ratio >= 0.7 ? "met" : "the app does the baseline's 2 transactions (a batch of 6 entities instead of one insert, and the enqueue) and adds HTTP, the host-to-worker gRPC hop, JWT verification and JSON work, all on the same 2 cores as Azurite"));
        }

        var replay1 = _results.FirstOrDefault(r => r.Scenario == PostReplay && r.Clients == 1);
        if (replay1 is not null)
        {
            goals.Add(new("p99 latency of a replay below 10 ms at 1 client", replay1.P99Ms < 10, Inv.S($"p99 {replay1.P99Ms:0.00} ms (p50 {replay1.P50Ms:0.00} ms)"),
                replay1.P99Ms < 10 ? "met" : "a replay is one point read plus HTTP in, gRPC to the worker, JWT verification and HTTP out; p99 catches GC pauses and scheduling on 2 shared cores"));
        }

        return goals;
    }
}
