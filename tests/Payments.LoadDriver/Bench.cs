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
using Payments.Core.Storage;
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

    public IReadOnlyList<int> Concurrency { get; init; } = [1, 8];

    /// <summary>Only these scenarios (null: all).</summary>
    public IReadOnlyCollection<string>? Scenarios { get; init; }

    /// <summary>
    /// The app's table requests always pass the strict guard's proxy; true sends the raw baselines' table requests
    /// through a proxy of their own too, so both sides of a ratio pay the same loopback hop.
    /// </summary>
    public bool BaselinesThroughProxy { get; init; } = true;

    /// <summary>The traced phase for the per-request breakdown (<see cref="Breakdown"/>); zero skips it.</summary>
    public TimeSpan BreakdownDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The local host's own figures (tests/Functions.LocalHost.Benchmarks --json), when scripts/bench.sh measured them.</summary>
    public string? HostBenchFile { get; init; }

    public TextWriter Progress { get; init; } = Console.Out;
}

public sealed record TransactionCount(string Operation, long Total, string Detail);

/// <summary>A goal of issue 17: <paramref name="Value"/> is a ratio to a baseline measured in the same run (or a count).</summary>
public sealed record Goal(string Name, double? Value, string Target, bool Met, string Measured, string Why);

public sealed record BenchResult(
    IReadOnlyList<ScenarioResult> Scenarios, IReadOnlyList<TransactionCount> Transactions, IReadOnlyList<Goal> Goals,
    IReadOnlyList<BreakdownRow> Breakdown, string ReportDirectory)
{
    public HostBench? Host { get; init; }

    public string LoadAverage { get; init; } = string.Empty;
}

/// <summary>The benchmark: app scenarios over HTTP and raw storage baselines, on the same Azurite, in one run.</summary>
public sealed class BenchRun
{
    public const string RawAccept = "raw accept (batch of 6 + enqueue)";
    public const string RawPipeline = "raw pipeline (accept + charge)";
    public const string RawReplay = "raw replay (failing batch + read)";
    public const string RawPointRead = "raw point read";
    public const string RawListing = "raw listing (16 partition queries)";
    public const string PostPaused = "POST (processing paused)";
    public const string EndToEnd = "POST and charge end to end";
    public const string PostReplay = "POST replay";
    public const string Get = "GET";
    public const string ListPage = "GET list page (limit 20)";

    /// <summary>Each app scenario against the raw baseline doing the same storage work (RawBaselineParityTests).</summary>
    public static readonly IReadOnlyDictionary<string, string> BaselineOf = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [PostPaused] = RawAccept,
        [EndToEnd] = RawPipeline,
        [PostReplay] = RawReplay,
        [Get] = RawPointRead,
        [ListPage] = RawListing,
    };

    private const string Merchant = "bench-merchant";
    private const int ListLimit = 20;

    private readonly BenchOptions _options;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<ScenarioResult> _results = [];
    private readonly StorageTransactionCounter _rawRequests = new();

    private BenchRun(BenchOptions options) => _options = options;

    public static Task<BenchResult> RunAsync(BenchOptions options, CancellationToken cancellationToken) => new BenchRun(options).RunAsync(cancellationToken);

    private void Say(string line) => _options.Progress.WriteLine(Inv.S($"[bench {_clock.Elapsed.TotalSeconds,6:0.0}s] {line}"));

    private bool Wanted(string scenario) => _options.Scenarios is null || _options.Scenarios.Contains(scenario);

    /// <summary>The app with its charging paused: the queue function and the sweeper switched off, as the real host honours it.</summary>
    public static readonly IReadOnlyDictionary<string, string> PausedProcessing = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AzureWebJobs.ProcessPayment.Disabled"] = "true",
        ["AzureWebJobs.SweepPendingPayments.Disabled"] = "true",
    };

    private async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.OutputDirectory);
        var loadBefore = LoadAverage();
        // The apps' workers reach their tables only through the strict guard's proxy, as in the end-to-end and chaos runs.
        // Two apps: one with charging paused (accept, replay, GET, listing), one charging (end to end).
        var pausedGuard = new StorageGuard();
        var fullGuard = new StorageGuard();
        var pausedStart = AppUnderLoad.StartAsync(_options.AppDirectory, _options.ConnectionString, PausedProcessing, null, cancellationToken, storageGuard: pausedGuard);
        var fullStart = AppUnderLoad.StartAsync(_options.AppDirectory, _options.ConnectionString, null, null, cancellationToken, storageGuard: fullGuard);
        try
        {
            await Task.WhenAll(pausedStart, fullStart);
        }
        catch
        {
            foreach (var start in new[] { pausedStart, fullStart }.Where(t => t.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }

        await using var paused = pausedStart.Result;
        await using var full = fullStart.Result;
        await using var baselineProxy = _options.BaselinesThroughProxy ? await StorageProxy.StartAsync(_options.ConnectionString, new StorageGuard(), cancellationToken) : null;
        var baselineStorage = baselineProxy?.ConnectionString ?? _options.ConnectionString;
        Say($"Apps started in {paused.Host.StartupTime.TotalSeconds:0.0} s (charging paused) and {full.Host.StartupTime.TotalSeconds:0.0} s (charging), their tables behind the strict guard's proxy; baselines {(baselineProxy is null ? "direct" : "through a proxy of their own")}");
        var token = paused.Issuer.Token(Merchant);
        var fullToken = full.Issuer.Token(Merchant);
        var transactions = await CountTransactionsAsync(paused, cancellationToken);
        foreach (var count in transactions)
        {
            Say($"Storage transactions, {count.Operation}: {count.Total} ({count.Detail})");
        }

        // The baselines' clients are configured as the app's (StorageClientFactory: its retry delays and timeouts), and
        // every request they send is counted, so a report shows when retries inflated a baseline.
        var rawClients = new StorageClientFactory(new StorageConnection.ConnectionString(baselineStorage), [_rawRequests]);
        var rawPayments = rawClients.GetTableClient("rawpay" + paused.Suffix);
        var rawLedger = rawClients.GetTableClient("rawledger" + paused.Suffix);
        await rawPayments.CreateIfNotExistsAsync(cancellationToken);
        await rawLedger.CreateIfNotExistsAsync(cancellationToken);
        // Each raw scenario has a queue of its own, emptied after each run: Azurite slows down as a queue grows.
        var rawAcceptQueue = rawClients.GetQueueClient("rawaccept-" + paused.Suffix);
        var rawPipelineQueue = rawClients.GetQueueClient("rawpipeline-" + paused.Suffix);
        await rawAcceptQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await rawPipelineQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var rawAccept = new RawPaymentStorage(rawPayments, rawLedger, rawAcceptQueue);
        var rawPipeline = new RawPaymentStorage(rawPayments, rawLedger, rawPipelineQueue);

        // The app's own payments table, read the way the app reads it but without the app: the GET's and the listing's baselines.
        var appTableRaw = rawClients.GetTableClient(paused.PaymentsTable);
        string? seedId = null;
        for (var i = 0; i < ListLimit + 5; i++)
        {
            var posted = await PostAsync(paused, token, "bench-seed-" + Guid.NewGuid().ToString("N"), cancellationToken);
            seedId ??= posted.Id ?? throw new InvalidOperationException(Inv.S($"POST of a seed payment answered {posted.Status}."));
        }

        var (getStatus, _) = await GetAsync(paused, token, "api/v1/payments/" + seedId, cancellationToken);
        if (getStatus != 200)
        {
            throw new InvalidOperationException(Inv.S($"GET of the seed payment answered {getStatus}."));
        }

        var seedPartition = seedId![4..7];
        var listingFilters = SubjectPartitions.All(Merchant).Select(partition => TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and RowKey ge {PaymentIndex.ViewStart(Merchant, PaymentIndex.AllView)} and RowKey lt {PaymentIndex.ViewEnd(Merchant, PaymentIndex.AllView)}")).ToArray();

        var rawAccepted = new ConcurrentQueue<RawPayment>();
        var acceptedKeys = new ConcurrentQueue<string>();
        foreach (var clients in _options.Concurrency)
        {
            await MeasureAsync(RawAccept, clients, async (_, ct) =>
            {
                rawAccepted.Enqueue(await rawAccept.AcceptAsync(ct));
                return null;
            }, cancellationToken);
            await rawAcceptQueue.ClearMessagesAsync(cancellationToken);
            await MeasureAsync(PostPaused, clients, async (_, ct) =>
            {
                var key = "bench-" + Guid.NewGuid().ToString("N");
                var answer = await PostAsync(paused, token, key, ct);
                if (answer.Status == 202)
                {
                    acceptedKeys.Enqueue(key);
                    return null;
                }

                return Inv.S($"POST answered {answer.Status}");
            }, cancellationToken);
            // Nothing charges these: the messages would only make the queue long.
            await paused.Queue(paused.PaymentsQueue).ClearMessagesAsync(cancellationToken);

            var rawReplays = rawAccepted.ToArray();
            var nextRaw = -1;
            await MeasureAsync(RawReplay, clients, async (_, ct) =>
            {
                if (rawReplays.Length == 0)
                {
                    return "no raw payments to replay";
                }

                await rawAccept.ReplayAsync(rawReplays[(int)((uint)Interlocked.Increment(ref nextRaw) % (uint)rawReplays.Length)], ct);
                return null;
            }, cancellationToken);
            var replayKeys = acceptedKeys.ToArray();
            var next = -1;
            await MeasureAsync(PostReplay, clients, async (_, ct) =>
            {
                if (replayKeys.Length == 0)
                {
                    return "no accepted keys to replay";
                }

                var answer = await PostAsync(paused, token, replayKeys[(int)((uint)Interlocked.Increment(ref next) % (uint)replayKeys.Length)], ct);
                return answer.Status == 202 ? null : Inv.S($"replay answered {answer.Status}");
            }, cancellationToken);

            await MeasureAsync(RawPointRead, clients, (_, ct) => Try(() => appTableRaw.GetEntityAsync<TableEntity>(seedPartition, seedId, cancellationToken: ct)), cancellationToken);
            await MeasureAsync(Get, clients, async (_, ct) =>
            {
                var (status, _) = await GetAsync(paused, token, "api/v1/payments/" + seedId, ct);
                return status == 200 ? null : Inv.S($"GET answered {status}");
            }, cancellationToken);

            await MeasureAsync(RawListing, clients, async (_, ct) =>
            {
                var rows = await Task.WhenAll(listingFilters.Select(async filter =>
                {
                    await foreach (var page in appTableRaw.QueryAsync<TableEntity>(filter, maxPerPage: ListLimit + 1, cancellationToken: ct).AsPages(null, ListLimit + 1))
                    {
                        return page.Values.Count;
                    }

                    return 0;
                }));
                return rows.Sum() >= ListLimit ? null : Inv.S($"the listing's partitions held {rows.Sum()} rows");
            }, cancellationToken);
            await MeasureAsync(ListPage, clients, async (_, ct) =>
            {
                var (status, _) = await GetAsync(paused, token, Inv.S($"api/v1/payments?limit={ListLimit}"), ct);
                return status == 200 ? null : Inv.S($"list answered {status}");
            }, cancellationToken);

            if (Wanted(RawPipeline))
            {
                await RawPipelineAsync(rawPipeline, clients, cancellationToken);
                await rawPipelineQueue.ClearMessagesAsync(cancellationToken);
            }

            if (Wanted(EndToEnd))
            {
                await EndToEndAsync(full, fullToken, clients, cancellationToken);
            }
        }

        var breakdown = _options.BreakdownDuration > TimeSpan.Zero && Wanted("breakdown")
            ? await Breakdown.MeasureAsync(_options, Say, cancellationToken)
            : [];
        foreach (var row in breakdown)
        {
            Say($"Breakdown, {row.Request}: {row.Part}: p50 {row.P50Ms:0.000} ms, mean {row.MeanMs:0.000} ms");
        }

        var host = HostBench.Read(_options.HostBenchFile);
        var goals = Goals(transactions, host);
        foreach (var (name, guard) in new[] { ("charging paused", pausedGuard), ("charging", fullGuard) })
        {
            goals.Add(new(Inv.S($"the app's worker ({name}) sent no table query or batch across partitions"), guard.Violations.Count, "0", guard.Violations.Count == 0,
                Inv.S($"{guard.Violations.Count} violations; the worker's table requests in the run: {guard.Snapshot()}"),
                "every table request of the worker passed the strict guard's proxy (tests/Payments.Testing/StorageProxy.cs)"));
        }

        var result = new BenchResult(_results, transactions, goals, breakdown, _options.OutputDirectory)
        {
            Host = host,
            LoadAverage = Inv.S($"before: {loadBefore}; after: {LoadAverage()}"),
        };
        await BenchReport.WriteAsync(result, _options, paused.Host.StartupTime);
        foreach (var goal in goals)
        {
            Say($"{(goal.Met ? "PASS" : "MISS")}  {goal.Name}: {goal.Measured}");
        }

        return result;
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), so every report says how busy the machine was.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
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

        _rawRequests.Reset();
        var result = await LoadLoop.RunAsync(scenario, clients, _options.Duration, operation, cancellationToken);
        var sent = _rawRequests.Reset();
        Record(sent.Total == 0 || result.Operations == 0 ? result : result with
        {
            StorageRequestsPerOperation = (double)sent.Total / (result.Operations + (3 * clients)),
        });
    }

    private void Record(ScenarioResult result)
    {
        _results.Add(result);
        Say($"{result.Scenario,-36} {result.Clients,3} clients: {result.PerSecond,8:0.0}/s  p50 {result.P50Ms,7:0.00} ms  p99 {result.P99Ms,7:0.00} ms  errors {result.Errors}{(result.StorageRequestsPerOperation is { } perOperation ? Inv.S($"  storage requests/op {perOperation:0.00}") : string.Empty)}{(result.FirstError is null ? string.Empty : " (" + result.FirstError + ")")}");
    }

    public static async Task<(int Status, string? Id)> PostAsync(AppUnderLoad app, string token, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
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

    public static async Task<(int Status, string? ETag)> GetAsync(AppUnderLoad app, string token, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await app.Client.SendAsync(request, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return ((int)response.StatusCode, response.Headers.ETag?.ToString());
    }

    private static async Task WaitForQueueEmptyAsync(AppUnderLoad app, TimeSpan limit, CancellationToken cancellationToken)
    {
        var queue = app.Queue(app.PaymentsQueue);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < limit && (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    /// <summary>
    /// The raw pipeline, measured as the end-to-end scenario is: closed-loop clients accept (raw) for the duration while
    /// one processor does what the host's queue listener and ProcessPayment do (receive up to 16 messages, charge each
    /// concurrently, delete each); the clock runs from the first accept until the last payment is charged.
    /// </summary>
    private async Task RawPipelineAsync(RawPaymentStorage raw, int clients, CancellationToken cancellationToken)
    {
        // Warm-up: connections and JIT, charged before the clock starts.
        for (var i = 0; i < 3; i++)
        {
            await raw.AcceptAsync(cancellationToken);
            while (await raw.ProcessOneAsync(TimeSpan.FromMinutes(10), cancellationToken))
            {
            }
        }

        _rawRequests.Reset();
        var latencies = new List<double>[clients];
        long accepted = 0, charged = 0, errors = 0;
        string? firstError = null;
        var accepting = true;
        var clock = Stopwatch.StartNew();
        var processor = Task.Run(async () =>
        {
            var idle = Stopwatch.StartNew();
            while ((Volatile.Read(ref accepting) || Interlocked.Read(ref charged) < Interlocked.Read(ref accepted)) && idle.Elapsed < TimeSpan.FromMinutes(2))
            {
                var messages = (await raw.Queue.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(10), cancellationToken)).Value;
                if (messages.Length == 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
                    continue;
                }

                idle.Restart();
                await Task.WhenAll(messages.Select(async message =>
                {
                    try
                    {
                        await raw.ProcessAsync(message, cancellationToken);
                        Interlocked.Increment(ref charged);
                    }
                    catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                    }
                }));
            }
        }, cancellationToken);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            var mine = latencies[i] = [];
            while (clock.Elapsed < _options.Duration && !cancellationToken.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                await raw.AcceptAsync(cancellationToken);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref accepted);
            }
        }));
        Volatile.Write(ref accepting, false);
        await processor;
        var total = clock.Elapsed;
        var sent = _rawRequests.Reset();
        if (charged < accepted)
        {
            firstError ??= Inv.S($"{accepted - charged} raw payments not charged");
        }

        var all = latencies.SelectMany(l => l).Order().ToArray();
        Record(new ScenarioResult(RawPipeline, clients, accepted, errors + accepted - charged, total.TotalSeconds, charged / total.TotalSeconds,
            LoadLoop.Percentile(all, 0.50), LoadLoop.Percentile(all, 0.99), all.Length == 0 ? 0 : all.Average())
        {
            FirstError = firstError,
            StorageRequestsPerOperation = accepted == 0 ? null : (double)sent.Total / accepted,
        });
    }

    /// <summary>
    /// POST and charge end to end: closed-loop clients POST for the scenario's duration while the app charges in the
    /// background; the clock runs from the first POST until the last payment is terminal, and the rate is payments per
    /// second over that time. Latencies are the POSTs'.
    /// </summary>
    private async Task EndToEndAsync(AppUnderLoad app, string token, int clients, CancellationToken cancellationToken)
    {
        // Warm-up: connections, JIT and the queue listener's polling, charged before the clock starts.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => PostAsync(app, token, "warm-" + Guid.NewGuid().ToString("N"), cancellationToken)));
        await WaitForQueueEmptyAsync(app, TimeSpan.FromSeconds(60), cancellationToken);

        var ids = new ConcurrentQueue<string>();
        var latencies = new List<double>[clients];
        long errors = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            var mine = latencies[i] = [];
            while (clock.Elapsed < _options.Duration && !cancellationToken.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var answer = await PostAsync(app, token, "e2e-" + Guid.NewGuid().ToString("N"), cancellationToken);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (answer.Id is { } id)
                {
                    ids.Enqueue(id);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, Inv.S($"POST answered {answer.Status}"), null);
                }
            }
        }));

        // The queue is empty once the host deleted every message, which it does after the function completed; then
        // every payment is confirmed terminal (outside the clock unless one is not yet).
        await WaitForQueueEmptyAsync(app, TimeSpan.FromMinutes(2), cancellationToken);
        var total = clock.Elapsed;
        var table = app.Table(app.PaymentsTable);
        var open = ids.ToList();
        var deadline = Stopwatch.StartNew();
        while (open.Count > 0 && deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            var states = await Task.WhenAll(open.Select(async id =>
                (id, (await table.GetEntityAsync<TableEntity>(id[4..7], id, select: ["Status"], cancellationToken: cancellationToken)).Value.GetString("Status"))));
            open = [.. states.Where(s => s.Item2 is not ("Succeeded" or "Failed")).Select(s => s.id)];
            if (open.Count > 0)
            {
                total = clock.Elapsed;
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
        }

        if (open.Count > 0)
        {
            errors += open.Count;
            firstError ??= Inv.S($"{open.Count} payments not terminal a minute after the queue was empty");
        }

        var all = latencies.SelectMany(l => l).Order().ToArray();
        Record(new ScenarioResult(EndToEnd, clients, ids.Count, errors, total.TotalSeconds, ids.Count / total.TotalSeconds,
            LoadLoop.Percentile(all, 0.50), LoadLoop.Percentile(all, 0.99), all.Length == 0 ? 0 : all.Average())
        {
            FirstError = firstError,
        });
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

    private List<Goal> Goals(List<TransactionCount> transactions, HostBench? host)
    {
        var goals = new List<Goal>
        {
            new("an accepted payment costs 2 storage transactions", transactions[0].Total, "2", transactions[0].Total == 2, Inv.S($"{transactions[0].Total} ({transactions[0].Detail})"), "counted in-process around the Core calls the function makes"),
            new("a replay costs at most 2", transactions[1].Total, "<= 2", transactions[1].Total <= 2, Inv.S($"{transactions[1].Total} ({transactions[1].Detail})"), "counted in-process"),
            new("a GET costs 1", transactions[2].Total, "1", transactions[2].Total == 1, Inv.S($"{transactions[2].Total} ({transactions[2].Detail})"), "counted in-process"),
        };
        AddThroughputGoal(goals, "POST with processing paused: throughput at 8 clients / raw accept", PostPaused, 8, 0.70);
        AddThroughputGoal(goals, "POST and charge end to end: throughput at 8 clients / raw pipeline", EndToEnd, 8, 0.70);
        AddThroughputGoal(goals, "GET: throughput at 8 clients / raw point read", Get, 8, 0.80);
        AddLatencyGoal(goals, "POST replay: p99 at 1 client / raw replay p99 (failing batch + point read)", PostReplay, 1, 3.0);
        AddLatencyGoal(goals, "listing page: p99 at 1 client / raw p99 of its 16 partition queries", ListPage, 1, 2.0);
        if (host is not null)
        {
            if (host.Row("HTTP via local host", 16) is { } http && host.Row("raw gRPC invocation", 16) is { } grpc && grpc.RequestsPerSecond > 0)
            {
                var ratio = http.RequestsPerSecond / grpc.RequestsPerSecond;
                goals.Add(new("local host: HTTP throughput at 16 clients / raw gRPC invocations", ratio, ">= 0.50", ratio >= 0.5,
                    Inv.S($"{http.RequestsPerSecond:0}/s vs {grpc.RequestsPerSecond:0}/s = {ratio:P0}"), "the sample app's Ping through Kestrel and the host, against invocations sent down the same gRPC channel"));
            }

            for (var i = 0; i < Math.Min(2, host.StartToReadyMs.Count); i++)
            {
                var ratio = host.StartToReadyMs[i] / host.WorkerStartToInitResponseMs[i];
                goals.Add(new(Inv.S($"local host: {(i == 0 ? "first" : "second")} start-to-ready / the worker's own start to its init response"), ratio, "<= 1.50", ratio <= 1.5,
                    Inv.S($"{host.StartToReadyMs[i]:0} ms vs {host.WorkerStartToInitResponseMs[i]:0} ms = {ratio:0.00}x"),
                    "start-to-ready adds the gRPC server, metadata, loading every function, listeners and Kestrel to the worker's own start"));
            }
        }

        return goals;
    }

    private void AddThroughputGoal(List<Goal> goals, string name, string scenario, int clients, double target)
    {
        var app = _results.FirstOrDefault(r => r.Scenario == scenario && r.Clients == clients);
        var baseline = _results.FirstOrDefault(r => r.Scenario == BaselineOf[scenario] && r.Clients == clients);
        if (app is null || baseline is not { PerSecond: > 0 })
        {
            return;
        }

        var ratio = app.PerSecond / baseline.PerSecond;
        goals.Add(new(name, ratio, Inv.S($">= {target:0.00}"), ratio >= target,
            Inv.S($"{app.PerSecond:0.0}/s vs {baseline.PerSecond:0.0}/s = {ratio:P0}"), Inv.S($"{scenario} against {BaselineOf[scenario]}, same run, same Azurite")));
    }

    private void AddLatencyGoal(List<Goal> goals, string name, string scenario, int clients, double target)
    {
        var app = _results.FirstOrDefault(r => r.Scenario == scenario && r.Clients == clients);
        var baseline = _results.FirstOrDefault(r => r.Scenario == BaselineOf[scenario] && r.Clients == clients);
        if (app is null || baseline is not { P99Ms: > 0 })
        {
            return;
        }

        var ratio = app.P99Ms / baseline.P99Ms;
        goals.Add(new(name, ratio, Inv.S($"<= {target:0.00}"), ratio <= target,
            Inv.S($"p99 {app.P99Ms:0.00} ms vs {baseline.P99Ms:0.00} ms = {ratio:0.00}x (p50 {app.P50Ms:0.00} vs {baseline.P50Ms:0.00} ms)"), Inv.S($"{scenario} against {BaselineOf[scenario]}, same run, same Azurite")));
    }
}
