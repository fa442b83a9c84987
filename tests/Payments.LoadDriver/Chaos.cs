using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Payments.Testing;

namespace Payments.LoadDriver;

public sealed class ChaosOptions
{
    public required string AppDirectory { get; init; }

    public required string AzuriteExecutable { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>The whole run: load with faults for ~60% of it, then settling and checking.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromSeconds(150);

    public int Clients { get; init; } = 8;

    public double StorageFaultRate { get; init; } = 0.05;

    /// <summary>tok_processingError payments take maxDequeueCount deliveries to settle; the smoke run leaves them out.</summary>
    public bool IncludeProcessingErrors { get; init; } = true;

    public TextWriter Progress { get; init; } = Console.Out;
}

public sealed record Invariant(string Name, bool Holds, string Counts);

public sealed record ChaosResult(IReadOnlyList<Invariant> Invariants, IReadOnlyDictionary<string, long> Counts, string ReportDirectory)
{
    /// <summary>What broke an invariant: 500s no injected fault explains (with their timing), payments left non-terminal.</summary>
    public IReadOnlyList<string> Unexplained { get; init; } = [];

    public bool Passed => Invariants.All(i => i.Holds);
}

/// <summary>
/// Concurrent clients create payments and retry their keys (some with changed bodies) while the worker is killed,
/// Azurite is stopped and started, the app's storage calls fail at random, and duplicate and poison messages are
/// put straight into the queue. Then everything settles and the money invariants are checked.
/// </summary>
public sealed class ChaosRun
{
    private readonly ChaosOptions _options;
    private readonly ConcurrentBag<Exchange> _exchanges = [];
    private readonly ConcurrentDictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<(DateTimeOffset Start, DateTimeOffset End, string What)> _faultWindows = [];
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _unexplained = [];
    private readonly ConcurrentQueue<(string PaymentId, TimeSpan AcceptedAt)> _slowCharges = new();

    private const string SlowSource = "tok_slowCharge";

    /// <summary>How long after its 202 a tok_slowCharge payment's charge is taken to be in flight (the gateway waits 5 s).</summary>
    private static readonly TimeSpan SlowChargeInFlight = TimeSpan.FromSeconds(5);

    private ChaosRun(ChaosOptions options) => _options = options;

    public static Task<ChaosResult> RunAsync(ChaosOptions options, CancellationToken cancellationToken) =>
        new ChaosRun(options).RunAsync(cancellationToken);

    private static bool Chance(double probability) => Random.Shared.NextDouble() < probability;

    private void Count(string name, long by = 1) => _counts.AddOrUpdate(name, by, (_, value) => value + by);

    private void Say(string line) => _options.Progress.WriteLine(Inv.S($"[chaos {_clock.Elapsed.TotalSeconds,6:0.0}s] {line}"));

    private async Task<ChaosResult> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.OutputDirectory);
        using var logs = new FileLoggerProvider(Path.Combine(_options.OutputDirectory, "host-warnings.log"));
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        await using var azurite = await AzuriteProcess.StartAsync(_options.AzuriteExecutable, cancellationToken);
        Say($"Azurite on loopback, data in {azurite.Location}");
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Payments:SweepSchedule"] = "*/2 * * * * *",
            ["Payments:SweepAfterSeconds"] = "5",
            ["Idempotency:LockSeconds"] = "2",
        };
        // A message whose invocation died while storage was down cannot be released; it reappears when its lease
        // (10 minutes in the real host) runs out. 10 s keeps that recovery inside the run.
        // No allowance: the app's every table query, the sweeper's and the reaper's included, pins one partition.
        var storageGuard = new StorageGuard();
        await using var app = await AppUnderLoad.StartAsync(_options.AppDirectory, azurite.ConnectionString, overrides, loggerFactory, cancellationToken,
            queueMessageLease: TimeSpan.FromSeconds(10), storageGuard: storageGuard);
        // A fraction of the worker's table requests fail on the wire, in the proxy between it and Azurite: half never
        // arrive (503), half are carried out and then the connection breaks (the write happened, the answer is lost).
        var rate = _options.StorageFaultRate;
        var refused = app.StorageFaults!.Add((_, _) => Chance(rate / 2), StorageFaultKind.ServiceUnavailable, StorageFaultTiming.BeforeSending);
        var answersLost = app.StorageFaults.Add((_, _) => Chance(rate / 2), StorageFaultKind.NetworkError, StorageFaultTiming.AfterSending);
        Say($"App started on {app.Host.BaseUrl} (worker pid {app.Host.WorkerProcessId}), table fault rate {rate}");

        var merchants = new[] { "merchant-a", "merchant-b" };
        var tokens = merchants.ToDictionary(m => m, m => app.Issuer.Token(m), StringComparer.Ordinal);
        var loadTime = TimeSpan.FromTicks((long)(_options.Budget.Ticks * 0.6));
        var loadEnd = _clock.Elapsed + loadTime;
        Say(Inv.S($"Load with faults for {loadTime.TotalSeconds:0} s, {_options.Clients} clients"));

        using var stopFaults = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clients = Enumerable.Range(0, _options.Clients).Select(i => ClientAsync(app, tokens, new Random(i * 7919 + 17), loadEnd, cancellationToken)).ToList();
        var faults = new[]
        {
            KillWorkerLoopAsync(app, loadTime, stopFaults.Token),
            RestartAzuriteOnceAsync(azurite, loadTime, stopFaults.Token),
            QueueMischiefLoopAsync(app, stopFaults.Token),
            SlowChargeMischiefLoopAsync(app, stopFaults.Token),
            ProgressLoopAsync(stopFaults.Token),
        };
        await Task.WhenAll(clients);
        await stopFaults.CancelAsync();
        await Task.WhenAll(faults);
        Say("Load over; resolving keys whose outcome the clients never learned");

        var settleEnd = TimeSpan.FromTicks(Math.Max(_options.Budget.Ticks, (_clock.Elapsed + TimeSpan.FromSeconds(20)).Ticks));
        await ResolveUnknownKeysAsync(app, tokens, settleEnd, cancellationToken);
        Say("Waiting for every payment to reach a terminal state (sweeper every 2 s, retries, poison settling)");
        var (payments, ledger) = await SettleAsync(app, settleEnd + TimeSpan.FromSeconds(30), cancellationToken);
        var invariants = Check(payments, ledger);
        invariants.Add(new("no table query across partitions", storageGuard.Violations.Count == 0,
            Inv.S($"{storageGuard.Violations.Count} violations{string.Concat(storageGuard.Violations.Distinct().Take(3).Select(v => "; " + v))}; app table requests: {storageGuard.Snapshot()}")));
        Count("faults.table-requests-refused-503", refused.Hits);
        Count("faults.table-answers-lost-after-the-write", answersLost.Hits);
        CountAppEvidence(Path.Combine(_options.OutputDirectory, "host-warnings.log"));
        var result = new ChaosResult(invariants, new Dictionary<string, long>(_counts, StringComparer.Ordinal), _options.OutputDirectory) { Unexplained = _unexplained };
        foreach (var line in _unexplained)
        {
            Say("Unexplained: " + line);
        }

        await WriteReportAsync(result);
        foreach (var invariant in invariants)
        {
            Say($"{(invariant.Holds ? "HOLDS" : "FAILS")}  {invariant.Name}: {invariant.Counts}");
        }

        return result;
    }

    private async Task ClientAsync(AppUnderLoad app, Dictionary<string, string> tokens, Random random, TimeSpan loadEnd, CancellationToken cancellationToken)
    {
        while (_clock.Elapsed < loadEnd && !cancellationToken.IsCancellationRequested)
        {
            var roll = random.NextDouble();
            KeyState state;
            var changed = false;
            if (roll < 0.55 || _keys.IsEmpty)
            {
                var merchant = tokens.Keys.ElementAt(random.Next(tokens.Count));
                var sourceRoll = random.NextDouble();
                var source = sourceRoll switch
                {
                    < 0.6 => "tok_visa",
                    < 0.7 => SlowSource,
                    < 0.8 => "tok_transientError",
                    < 0.95 => "tok_chargeDeclined",
                    _ => _options.IncludeProcessingErrors ? "tok_processingError" : "tok_chargeDeclined",
                };
                var body = Inv.S($$$"""{"amount":{{{random.Next(1, 100_000)}}},"currency":"EUR","source":"{{{source}}}","metadata":{"run":"chaos"}}""");
                state = new KeyState("chaos-" + Guid.NewGuid().ToString("N"), merchant, body);
                _keys[state.Key] = state;
                Count("requests.new-key");
            }
            else
            {
                state = _keys.Values.ElementAt(random.Next(_keys.Count));
                changed = roll >= 0.9;
                Count(changed ? "requests.retry-changed-body" : "requests.retry-same-body");
            }

            var sent = changed ? state.Body.Replace("\"amount\":", "\"amount\":1", StringComparison.Ordinal) : state.Body;
            await SendAsync(app, tokens[state.Merchant], state, sent, changed, cancellationToken);
        }
    }

    private async Task<Exchange> SendAsync(AppUnderLoad app, string token, KeyState state, string body, bool changed, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/payments")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", state.Key);
        var start = DateTimeOffset.UtcNow;
        Exchange exchange;
        try
        {
            using var response = await app.Client.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            exchange = new Exchange(state.Key, changed, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, start, DateTimeOffset.UtcNow, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            exchange = new Exchange(state.Key, changed, 0, null, string.Empty, start, DateTimeOffset.UtcNow, ex.GetType().Name);
        }

        _exchanges.Add(exchange);
        Count(Inv.S($"status.{exchange.Status}"));
        // Whichever body won the key's claim (a changed-body retry may race the first request) is the key's payment.
        if (exchange.Status == 202)
        {
            var first = state.PaymentId is null;
            state.Accept(exchange.Body);
            if (first && state.PaymentId is { } id && state.Body.Contains(SlowSource, StringComparison.Ordinal))
            {
                _slowCharges.Enqueue((id, _clock.Elapsed));
            }
        }

        return exchange;
    }

    private async Task KillWorkerLoopAsync(AppUnderLoad app, TimeSpan loadTime, CancellationToken cancellationToken)
    {
        var kills = Math.Max(1, (int)(loadTime.TotalSeconds / 15));
        var random = new Random(4242);
        var slot = loadTime / (kills + 1);
        try
        {
            for (var i = 0; i < kills; i++)
            {
                await Task.Delay(slot * (0.5 + random.NextDouble()), cancellationToken);
                var start = DateTimeOffset.UtcNow;
                var before = app.Host.WorkerProcessId;
                await app.Host.KillWorkerAsync();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(90));
                int after;
                try
                {
                    after = await app.Host.WaitForWorkerAsync(timeout.Token);
                }
                finally
                {
                    // Requests in flight when the worker died get the host's bare 500, as in Azure.
                    _faultWindows.Add((start, DateTimeOffset.UtcNow.AddSeconds(1), "worker-kill"));
                }

                Count("faults.worker-kills");
                Say(Inv.S($"Killed worker pid {before}; the host started pid {after}"));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RestartAzuriteOnceAsync(AzuriteProcess azurite, TimeSpan loadTime, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(loadTime * 0.4, cancellationToken);
            var start = DateTimeOffset.UtcNow;
            Say("Stopping Azurite");
            await azurite.StopAsync(cancellationToken);
            // The outage itself: storage stays away this long before it comes back.
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
            await azurite.StartAgainAsync(CancellationToken.None);
            _faultWindows.Add((start, DateTimeOffset.UtcNow.AddSeconds(2), "azurite-restart"));
            Count("faults.azurite-restarts");
            Say("Azurite is back");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task QueueMischiefLoopAsync(AppUnderLoad app, CancellationToken cancellationToken)
    {
        var queue = app.Queue(app.PaymentsQueue);
        var random = new Random(99);
        var round = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(700), cancellationToken);
                round++;
                var accepted = _keys.Values.Where(k => k.PaymentId is not null).Select(k => k.PaymentId!).ToList();
                try
                {
                    for (var i = 0; i < Math.Min(3, accepted.Count); i++)
                    {
                        var id = accepted[random.Next(accepted.Count)];
                        await queue.SendMessageAsync(Inv.S($$"""{"v":1,"paymentId":"{{id}}"}"""), cancellationToken);
                        Count("faults.duplicate-messages");
                    }

                    if (round % 4 == 0)
                    {
                        await queue.SendMessageAsync(round % 8 == 0 ? "not json at all" : """{"v":99,"paymentId":"pay_000"}""", cancellationToken);
                        Count("faults.poison-messages");
                    }
                }
                catch (Exception ex) when (ex is RequestFailedException or AggregateException)
                {
                    // AggregateException: the SDK's retries ran out while Azurite was down (connection refused each try).
                    Count("faults.queue-mischief-refused-while-storage-down");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// While a tok_slowCharge payment's charge is in flight (its 202 came less than 5 s ago), another copy of its message
    /// goes into the payments queue (a second processor charging concurrently), and every other one a copy into the
    /// poison queue (the settler deciding while the charge may still land): the race the gateway's void serializes.
    /// </summary>
    private async Task SlowChargeMischiefLoopAsync(AppUnderLoad app, CancellationToken cancellationToken)
    {
        var queue = app.Queue(app.PaymentsQueue);
        var poison = app.Queue(app.PaymentsQueue + "-poison");
        await poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        var copies = new List<Task>();
        var sent = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
                while (_slowCharges.TryDequeue(out var slow))
                {
                    var age = _clock.Elapsed - slow.AcceptedAt;
                    if (age >= SlowChargeInFlight)
                    {
                        Count("faults.slow-charges-missed");
                        continue;
                    }

                    // Land the copies mid-charge: the message is picked up within a second or two of the 202.
                    var midCharge = TimeSpan.FromSeconds(2) - age;
                    copies.Add(CopyAsync(slow.PaymentId, midCharge > TimeSpan.Zero ? midCharge : TimeSpan.Zero, ++sent % 2 == 0));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(copies);

        async Task CopyAsync(string paymentId, TimeSpan after, bool alsoPoison)
        {
            var message = Inv.S($$"""{"v":1,"paymentId":"{{paymentId}}"}""");
            try
            {
                await Task.Delay(after, CancellationToken.None);
                await queue.SendMessageAsync(message, CancellationToken.None);
                Count("faults.duplicates-during-slow-charge");
                if (alsoPoison)
                {
                    await poison.SendMessageAsync(message, CancellationToken.None);
                    Count("faults.poison-copies-during-slow-charge");
                }
            }
            catch (Exception ex) when (ex is RequestFailedException or AggregateException)
            {
                Count("faults.queue-mischief-refused-while-storage-down");
            }
        }
    }

    private async Task ProgressLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
                Say(Inv.S($"{_exchanges.Count} requests, {_keys.Count} keys, {_keys.Values.Count(k => k.PaymentId is not null)} accepted, 5xx {_exchanges.Count(e => e.Status >= 500)}"));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ResolveUnknownKeysAsync(AppUnderLoad app, Dictionary<string, string> tokens, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var open = _keys.Values.Where(k => k.PaymentId is null).ToList();
        Count("keys.unresolved-after-load", open.Count);
        while (open.Count > 0 && _clock.Elapsed < deadline)
        {
            var next = new List<KeyState>();
            foreach (var state in open)
            {
                var exchange = await SendAsync(app, tokens[state.Merchant], state, state.Body, changed: false, cancellationToken);
                Count("requests.resolution-retries");
                // A 4xx other than 409 (in progress) is a final answer for the key; 409, 5xx and no answer mean retry.
                if (exchange.Status is not (202 or (>= 400 and < 500 and not 409)))
                {
                    next.Add(state);
                }
            }

            open = next;
            if (open.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }

        Count("keys.still-unresolved", open.Count);
    }

    private async Task<(List<TableEntity> Payments, List<TableEntity> Ledger)> SettleAsync(AppUnderLoad app, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var table = app.Table(app.PaymentsTable);
        List<TableEntity> payments = [];
        while (true)
        {
            payments = await table.QueryAsync<TableEntity>("Kind eq 'payment'", cancellationToken: cancellationToken).ToListAsync(cancellationToken);
            var open = payments.Count(p => p.GetString("Status") is not ("Succeeded" or "Failed"));
            if (open == 0 || _clock.Elapsed > deadline)
            {
                Say(Inv.S($"{payments.Count} payments in storage, {open} not terminal"));
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        var ledger = await app.Table(app.LedgerTable).QueryAsync<TableEntity>(cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        return (payments, ledger);
    }

    private List<Invariant> Check(List<TableEntity> payments, List<TableEntity> ledger)
    {
        var invariants = new List<Invariant>();
        var byId = payments.ToDictionary(p => p.RowKey, StringComparer.Ordinal);
        var acknowledged = _keys.Values.Where(k => k.PaymentId is not null).ToList();
        var missing = acknowledged.Count(k => !byId.ContainsKey(k.PaymentId!));
        var notTerminal = acknowledged.Count(k => byId.TryGetValue(k.PaymentId!, out var p) && p.GetString("Status") is not ("Succeeded" or "Failed"));
        var succeeded = payments.Count(p => p.GetString("Status") == "Succeeded");
        var failed = payments.Count(p => p.GetString("Status") == "Failed");
        foreach (var stuck in payments.Where(p => p.GetString("Status") is not ("Succeeded" or "Failed")).Take(10))
        {
            _unexplained.Add(Inv.S($"payment {stuck.RowKey} still {stuck.GetString("Status")} (source {stuck.GetString("Source")}, updated {stuck.GetDateTimeOffset("UpdatedAt"):HH:mm:ss.fff}, last enqueued {stuck.GetDateTimeOffset("EnqueuedAt"):HH:mm:ss.fff})"));
        }

        invariants.Add(new("every payment acknowledged with 202 exists and is terminal", missing == 0 && notTerminal == 0,
            Inv.S($"{acknowledged.Count} acknowledged; {missing} missing; {notTerminal} not terminal ({succeeded} succeeded, {failed} failed of {payments.Count} in storage)")));

        // Net charges per payment: the gateway's row under the payment id is a charge unless it is a void (a void
        // claims the key so no charge can land); a refund is its own row beside it. Other rows (attempt counters) move no money.
        const string RefundSuffix = "~refund";
        var chargeRows = ledger.Where(e => e.GetString("Kind") != "void" && e.ContainsKey("ChargeId") && !e.RowKey.Contains('~', StringComparison.Ordinal)).ToList();
        var refundRows = ledger.Where(e => e.RowKey.EndsWith(RefundSuffix, StringComparison.Ordinal)).ToList();
        var voids = ledger.Count(e => e.GetString("Kind") == "void");
        var net = chargeRows.GroupBy(e => e.RowKey, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var refund in refundRows)
        {
            var id = refund.RowKey[..^RefundSuffix.Length];
            net[id] = net.GetValueOrDefault(id) - 1;
        }

        var succeededWithoutOne = payments.Count(p => p.GetString("Status") == "Succeeded" && net.GetValueOrDefault(p.RowKey) != 1);
        var failedWithCharge = payments.Count(p => p.GetString("Status") == "Failed" && net.GetValueOrDefault(p.RowKey) != 0);
        var orphanCharges = net.Count(n => n.Value != 0 && (!byId.TryGetValue(n.Key, out var p) || p.GetString("Status") != "Succeeded"));
        invariants.Add(new("every succeeded payment has exactly one net charge and no failed one has any (net = charges - refunds; a void moves no money)",
            succeededWithoutOne == 0 && failedWithCharge == 0 && orphanCharges == 0,
            Inv.S($"{chargeRows.Count} charges, {refundRows.Count} refunds, {voids} voids for {succeeded} succeeded payments; {succeededWithoutOne} succeeded without exactly one net charge; {failedWithCharge} failed with a net charge; {orphanCharges} net charges of no succeeded payment")));

        var accepted = _exchanges.Where(e => e.Status == 202).ToList();
        var replays = accepted.Count - accepted.Select(e => e.Key).Distinct(StringComparer.Ordinal).Count();
        var differing = accepted.Count(e => _keys[e.Key].FirstAcceptedBody != e.Body);
        invariants.Add(new("every replay returned the same body as the first response for that key", differing == 0,
            Inv.S($"{replays} replays answered 202; {differing} differed from the first response")));

        var keysWithTwoIds = _keys.Values.Count(k => k.DistinctIds > 1);
        var payers = payments.Count;
        invariants.Add(new("no key executed twice (one payment per key)", keysWithTwoIds == 0 && payers == acknowledged.Count,
            Inv.S($"{_keys.Count} keys, {acknowledged.Count} with a payment, {payers} payments in storage, {keysWithTwoIds} keys answered with two ids")));

        var windows = _faultWindows.ToList();
        bool InFault(Exchange e) => windows.Any(w => e.Start <= w.End && e.End >= w.Start);
        var fiveHundreds = _exchanges.Where(e => e.Status == 500).ToList();
        var unexplained = fiveHundreds.Count(e => !InFault(e));
        foreach (var e in fiveHundreds.Where(e => !InFault(e)).Take(10))
        {
            var nearest = windows.Count == 0 ? "no fault window" : string.Join("; ", windows.Select(w => Inv.S($"{w.What} {(e.Start - w.Start).TotalSeconds:0.00}s after its start, {(e.Start - w.End).TotalSeconds:0.00}s after its end")));
            _unexplained.Add(Inv.S($"500 at {e.Start:HH:mm:ss.fff}-{e.End:HH:mm:ss.fff} ({(e.End - e.Start).TotalMilliseconds:0} ms), content type {e.ContentType ?? "none"}, body '{e.Body[..Math.Min(e.Body.Length, 300)]}'; {nearest}"));
        }

        invariants.Add(new("no 500 that was not caused by an injected fault", unexplained == 0,
            Inv.S($"{fiveHundreds.Count} answers were 500, {fiveHundreds.Count - unexplained} while a worker was killed or Azurite was down, {unexplained} otherwise; 503 (storage unavailable, retry) {_exchanges.Count(e => e.Status == 503)}; transport errors {_exchanges.Count(e => e.Status == 0)}")));

        var errors = _exchanges.Where(e => e.Status >= 400).ToList();
        var bareHost500 = errors.Count(e => e.Status == 500 && e.ContentType is null && e.Body.Length == 0 && InFault(e));
        var notProblem = errors.Count(e => e.ContentType != "application/problem+json") - bareHost500;
        invariants.Add(new("every error was problem+json", notProblem == 0,
            Inv.S($"{errors.Count} error answers; {notProblem} not problem+json; {bareHost500} bare 500s from the host for invocations cut off by a worker kill (the real host's answer) not counted")));

        Count("requests.total", _exchanges.Count);
        Count("keys.total", _keys.Count);
        Count("payments.succeeded", succeeded);
        Count("payments.failed", failed);
        Count("ledger.charges", chargeRows.Count);
        Count("ledger.refunds", refundRows.Count);
        Count("ledger.voids", voids);
        Count("payments.slow-charge.succeeded", payments.Count(p => p.GetString("Source") == SlowSource && p.GetString("Status") == "Succeeded"));
        Count("payments.slow-charge.failed", payments.Count(p => p.GetString("Source") == SlowSource && p.GetString("Status") == "Failed"));
        Count("payments.transient-source.succeeded", payments.Count(p => p.GetString("Source") == "tok_transientError" && p.GetString("Status") == "Succeeded"));
        return invariants;
    }

    /// <summary>
    /// The injected storage faults happen between the worker and Azurite, out of the driver's sight; the app's warnings show what
    /// they caused (most are absorbed by the SDK's retries and leave no trace).
    /// </summary>
    private void CountAppEvidence(string logPath)
    {
        var lines = File.Exists(logPath) ? File.ReadLines(logPath).ToList() : [];
        Count("app-log.payment-batch-committed-by-an-attempt-whose-answer-was-lost", lines.Count(l => l.Contains("was committed by an earlier attempt", StringComparison.Ordinal)));
        Count("app-log.function-could-not-reach-storage", lines.Count(l => l.Contains("could not reach storage", StringComparison.Ordinal)));
        Count("app-log.poison-settled", lines.Count(l => l.Contains("exhausted its retries", StringComparison.Ordinal)));
        Count("app-log.unreadable-messages-to-poison", lines.Count(l => l.Contains("message is unreadable", StringComparison.Ordinal)));
    }

    private async Task WriteReportAsync(ChaosResult result)
    {
        var json = JsonSerializer.Serialize(new
        {
            passed = result.Passed,
            budgetSeconds = _options.Budget.TotalSeconds,
            clients = _options.Clients,
            storageFaultRate = _options.StorageFaultRate,
            invariants = result.Invariants,
            counts = result.Counts.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
            faultWindows = _faultWindows.OrderBy(w => w.Start).Select(w => new { w.What, start = w.Start, end = w.End }),
        }, Inv.Indented);
        await File.WriteAllTextAsync(Path.Combine(_options.OutputDirectory, "chaos-report.json"), json);
        var md = new StringBuilder();
        md.AppendLine("# Chaos run").AppendLine()
          .AppendLine(Inv.S($"Budget {_options.Budget.TotalSeconds:0} s, {_options.Clients} clients, storage fault rate {_options.StorageFaultRate}. Result: **{(result.Passed ? "all invariants hold" : "INVARIANT FAILED")}**.")).AppendLine()
          .AppendLine("| invariant | holds | counts |").AppendLine("| --- | --- | --- |");
        foreach (var invariant in result.Invariants)
        {
            md.AppendLine(Inv.S($"| {invariant.Name} | {(invariant.Holds ? "yes" : "**NO**")} | {invariant.Counts} |"));
        }

        md.AppendLine().AppendLine("| count | value |").AppendLine("| --- | --- |");
        foreach (var (name, value) in result.Counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            md.AppendLine(Inv.S($"| {name} | {value} |"));
        }

        await File.WriteAllTextAsync(Path.Combine(_options.OutputDirectory, "chaos-report.md"), md.ToString());

        // Every answer that was not a plain 202, and every exchange of keys that never got one, for the post-mortem.
        var unacknowledged = _keys.Values.Where(k => k.PaymentId is null).Select(k => k.Key).ToHashSet(StringComparer.Ordinal);
        var lines = _exchanges.Where(e => e.Status != 202 || unacknowledged.Contains(e.Key)).OrderBy(e => e.Start)
            .Select(e => JsonSerializer.Serialize(new { e.Key, e.Status, e.ChangedBody, e.ContentType, e.Start, e.End, e.TransportError, e.Body, neverAcknowledged = unacknowledged.Contains(e.Key) }));
        await File.WriteAllLinesAsync(Path.Combine(_options.OutputDirectory, "exchanges-of-interest.jsonl"), lines);
    }

    private sealed record Exchange(string Key, bool ChangedBody, int Status, string? ContentType, string Body, DateTimeOffset Start, DateTimeOffset End, string? TransportError);

    private sealed class KeyState(string key, string merchant, string body)
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

        public string Key { get; } = key;

        public string Merchant { get; } = merchant;

        public string Body { get; } = body;

        public string? FirstAcceptedBody { get; private set; }

        public string? PaymentId { get; private set; }

        public int DistinctIds
        {
            get
            {
                lock (_ids)
                {
                    return _ids.Count;
                }
            }
        }

        public void Accept(string responseBody)
        {
            string? id = null;
            try
            {
                using var document = JsonDocument.Parse(responseBody);
                id = document.RootElement.GetProperty("id").GetString();
            }
            catch (JsonException)
            {
            }

            lock (_ids)
            {
                FirstAcceptedBody ??= responseBody;
                if (id is not null)
                {
                    _ids.Add(id);
                    PaymentId ??= id;
                }
            }
        }
    }
}
