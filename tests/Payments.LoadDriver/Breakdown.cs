using System.Collections.Concurrent;
using System.Diagnostics;
using Payments.Testing;
using Payments.Testing.Telemetry;

namespace Payments.LoadDriver;

/// <summary>One part of a request's time, from the traced phase.</summary>
public sealed record BreakdownRow(string Request, string Part, double P50Ms, double MeanMs, long Samples, string Source);

/// <summary>
/// Where a request's time goes, from Activity timings, in a short phase of its own (tracing costs time, so the
/// throughput runs are not traced): one client, an app with charging paused that exports its spans over OTLP to a
/// receiver on loopback. Each request runs in a driver Activity whose trace the HTTP client hands on; the local host
/// runs in this process, so its Kestrel request Activity is recorded here, and the host passes the trace to the
/// worker, whose invocation span, the app's "payment accept" span and the Azure SDK's storage spans arrive over OTLP.
/// Parts are differences of nested spans: client and loopback = the driver's time minus the host's request; the host
/// (Kestrel, routing, HTTP to gRPC and back, the gRPC hop both ways) = the host's request minus the worker's
/// invocation; the worker outside storage (JWT, body and JSON, idempotency, response mapping, the accept's own code)
/// = the invocation minus its storage spans; storage per SDK call.
/// </summary>
public static class Breakdown
{
    private const string DriverSource = "Payments.LoadDriver.Bench";
    private static readonly ActivitySource Source = new(DriverSource);

    public static async Task<IReadOnlyList<BreakdownRow>> MeasureAsync(BenchOptions options, Action<string> say, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(say);
        var hostSpans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is DriverSource or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Microsoft.AspNetCore")
                {
                    hostSpans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await using var receiver = await OtlpReceiver.StartAsync(cancellationToken);
        var settings = new Dictionary<string, string>(BenchRun.PausedProcessing, StringComparer.Ordinal)
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BSP_MAX_QUEUE_SIZE"] = "65536",
        };
        await using var app = await AppUnderLoad.StartAsync(options.AppDirectory, options.ConnectionString, settings, null, cancellationToken, storageGuard: new StorageGuard());
        var token = app.Issuer.Token("bench-merchant");
        say(Inv.S($"Traced phase: 1 client, {options.BreakdownDuration.TotalSeconds:0.#} s each of POST, POST replay and GET, spans exported over OTLP"));

        var requests = new List<(string Kind, Activity Activity)>();
        var keys = new List<string>();
        string? id = null;
        for (var i = 0; i < 20; i++)
        {
            // Warm-up, not traced: JIT, connections, key cache.
            var key = "trace-warm-" + Guid.NewGuid().ToString("N");
            id = (await BenchRun.PostAsync(app, token, key, cancellationToken)).Id ?? id;
            await BenchRun.GetAsync(app, token, "api/v1/payments/" + id, cancellationToken);
        }

        await TraceAsync("POST new key", async ct =>
        {
            var key = "trace-" + Guid.NewGuid().ToString("N");
            keys.Add(key);
            await BenchRun.PostAsync(app, token, key, ct);
        });
        var next = 0;
        await TraceAsync("POST replay", ct => BenchRun.PostAsync(app, token, keys[next++ % keys.Count], ct));
        await TraceAsync("GET", ct => BenchRun.GetAsync(app, token, "api/v1/payments/" + id, ct));

        // The worker's exporter sends in batches every 200 ms: wait until nothing new arrives.
        var seen = -1;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(15) && receiver.Spans.Count != seen)
        {
            seen = receiver.Spans.Count;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        var rows = Analyse(requests, [.. hostSpans], receiver.Spans);
        say(Inv.S($"Traced phase: {requests.Count} requests, {hostSpans.Count} host spans, {receiver.Spans.Count} worker spans"));
        return rows;

        async Task TraceAsync(string kind, Func<CancellationToken, Task> call)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < options.BreakdownDuration)
            {
                using var activity = Source.StartActivity(kind, ActivityKind.Client);
                await call(cancellationToken);
                activity?.Stop();
                if (activity is not null)
                {
                    requests.Add((kind, activity));
                }
            }
        }
    }

    private static List<BreakdownRow> Analyse(List<(string Kind, Activity Activity)> requests, IReadOnlyList<Activity> hostSpans, IReadOnlyList<OtlpSpan> workerSpans)
    {
        var hostByTrace = hostSpans.GroupBy(a => a.TraceId.ToHexString()).ToDictionary(g => g.Key, g => g.ToList());
        var workerByTrace = workerSpans.GroupBy(s => s.TraceId).ToDictionary(g => g.Key, g => g.ToList());
        var parts = new Dictionary<(string Kind, string Part), (List<double> Values, string Source)>();
        void Add(string kind, string part, double value, string source)
        {
            if (!parts.TryGetValue((kind, part), out var entry))
            {
                parts[(kind, part)] = entry = ([], source);
            }

            entry.Values.Add(value);
        }

        foreach (var (kind, request) in requests)
        {
            var trace = request.TraceId.ToHexString();
            if (!hostByTrace.TryGetValue(trace, out var hosts) || !workerByTrace.TryGetValue(trace, out var worker))
            {
                continue;
            }

            // The host's request is the outermost server Activity of the trace (the storage proxy's requests, also served
            // by Kestrel in this process, nest inside it).
            var host = hosts.MaxBy(a => a.Duration)!;
            var invocation = worker.FirstOrDefault(s => s.ParentSpanId == host.SpanId.ToHexString())
                ?? worker.Where(s => !s.Scope.StartsWith("Azure", StringComparison.Ordinal)).MaxBy(s => s.DurationMs);
            if (invocation is null)
            {
                continue;
            }

            var azure = worker.Where(s => s.Scope.StartsWith("Azure", StringComparison.Ordinal)).ToList();
            var azureIds = azure.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
            // Logical storage calls: SDK spans whose parent is not itself an SDK span (the per-attempt HTTP spans nest inside).
            var storage = azure.Where(s => !azureIds.Contains(s.ParentSpanId)).ToList();
            var total = request.Duration.TotalMilliseconds;
            var hostMs = host.Duration.TotalMilliseconds;
            var storageMs = storage.Sum(s => s.DurationMs);
            Add(kind, "total, as the client saw it", total, "driver Activity");
            Add(kind, "client HTTP stack and loopback", total - hostMs, "driver Activity − host's Kestrel request Activity");
            Add(kind, "local host: Kestrel, routing, HTTP↔gRPC conversion, gRPC hop both ways", hostMs - invocation.DurationMs, "Kestrel request Activity − worker invocation span");
            Add(kind, "worker: invocation", invocation.DurationMs, "worker invocation span (" + invocation.Name + ")");
            if (worker.FirstOrDefault(s => s.Name == "payment accept") is { } accept)
            {
                var acceptStorage = storage.Where(s => s.ParentSpanId == accept.SpanId).Sum(s => s.DurationMs);
                Add(kind, "worker: JWT, body and JSON, idempotency, response mapping (invocation outside the accept span and storage)",
                    invocation.DurationMs - accept.DurationMs - (storageMs - acceptStorage), "invocation − accept span − other storage spans");
                Add(kind, "worker: the accept's own code (payment, resource JSON, stored response)", accept.DurationMs - acceptStorage, "accept span − its storage spans");
            }
            else
            {
                Add(kind, "worker: JWT, body and JSON, idempotency, response mapping (invocation outside storage)", invocation.DurationMs - storageMs, "invocation − storage spans");
            }

            foreach (var call in storage.GroupBy(s => s.Name))
            {
                Add(kind, "storage: " + call.Key + (call.Count() > 1 ? Inv.S($" ×{call.Count()}") : string.Empty), call.Sum(s => s.DurationMs), "Azure SDK span(s) in the worker");
            }
        }

        return [.. parts.Select(p =>
        {
            var sorted = p.Value.Values.Order().ToArray();
            return new BreakdownRow(p.Key.Kind, p.Key.Part, LoadLoop.Percentile(sorted, 0.5), sorted.Average(), sorted.Length, p.Value.Source);
        })];
    }
}
