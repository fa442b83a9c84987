using System.Diagnostics;

namespace Payments.LoadDriver;

public sealed record ScenarioResult(string Scenario, int Clients, long Operations, long Errors, double Seconds, double PerSecond, double P50Ms, double P99Ms, double MeanMs)
{
    public string? FirstError { get; init; }

    /// <summary>For a raw baseline: storage requests its clients sent per operation (warm-up included), retries included.</summary>
    public double? StorageRequestsPerOperation { get; init; }
}

/// <summary>Closed-loop clients: each sends its next operation as soon as the previous one answered.</summary>
public static class LoadLoop
{
    /// <param name="operation">One operation by client <c>i</c>; returns null when it succeeded, else what went wrong.</param>
    public static async Task<ScenarioResult> RunAsync(
        string scenario, int clients, TimeSpan duration, Func<int, CancellationToken, Task<string?>> operation, CancellationToken cancellationToken)
    {
        // A short warm-up per client (connections, JIT, caches) that is not measured.
        var warmUp = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            for (var n = 0; n < 3 && warmUp.Elapsed < TimeSpan.FromSeconds(2); n++)
            {
                await operation(i, cancellationToken);
            }
        }));

        var latencies = new List<double>[clients];
        var errors = new long[clients];
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            var mine = latencies[i] = new List<double>(4096);
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    error = await operation(i, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    error = ex.GetType().Name + ": " + ex.Message;
                }

                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (error is not null)
                {
                    errors[i]++;
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new ScenarioResult(scenario, clients, all.Length, errors.Sum(), seconds, all.Length / seconds,
            Percentile(all, 0.50), Percentile(all, 0.99), all.Length == 0 ? 0 : all.Average())
        {
            FirstError = firstError,
        };
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
