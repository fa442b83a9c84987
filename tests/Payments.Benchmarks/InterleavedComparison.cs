using System.Diagnostics;
using System.Globalization;

namespace Payments.Benchmarks;

/// <summary>
/// A cross-check for busy machines: BenchmarkDotNet measures one method after the other, so load from other
/// processes can land on either side. Here both paths alternate in small batches and the fastest batch of each is
/// compared, which cancels most of that noise.
/// </summary>
internal static class InterleavedComparison
{
    public static async Task RunAsync(int rounds = 200, int batch = 200)
    {
        using var benchmarks = new JwtVerificationBenchmarks();
        await benchmarks.SetupAsync();
        var bare = new List<double>(rounds);
        var ours = new List<double>(rounds);
        for (var round = 0; round < rounds; round++)
        {
            // Alternate which side goes first so neither always follows a GC or a context switch of the other.
            var bareFirst = round % 2 == 0;
            var first = await TimeBatchAsync(bareFirst ? benchmarks.BareHandler : benchmarks.OurVerifier, batch);
            var second = await TimeBatchAsync(bareFirst ? benchmarks.OurVerifier : benchmarks.BareHandler, batch);
            bare.Add(bareFirst ? first : second);
            ours.Add(bareFirst ? second : first);
        }

        // Each round's two batches ran back to back under the same load: their ratio is the paired measurement.
        var ratios = bare.Zip(ours, (b, o) => o / b).Order().ToList();
        bare.Sort();
        ours.Sort();
        var report = string.Create(CultureInfo.InvariantCulture, $"""
            Interleaved comparison, {rounds} rounds x {batch} calls per side (microseconds per call)
            | Path | Fastest batch | Median batch |
            |---|---:|---:|
            | bare JsonWebTokenHandler.ValidateTokenAsync | {bare[0]:F2} | {bare[rounds / 2]:F2} |
            | ours TokenVerifier.VerifyAuthorizationAsync | {ours[0]:F2} | {ours[rounds / 2]:F2} |
            Overhead: fastest batch vs fastest batch {(ours[0] / bare[0] - 1) * 100:F1} %; median of the {rounds} paired round ratios {(ratios[rounds / 2] - 1) * 100:F1} % (interquartile {(ratios[rounds / 4] - 1) * 100:F1} % to {(ratios[3 * rounds / 4] - 1) * 100:F1} %)
            """);
        Console.WriteLine(report);
    }

    private static async Task<double> TimeBatchAsync(Func<Task> call, int count)
    {
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await call();
        }

        return stopwatch.Elapsed.TotalMicroseconds / count;
    }
}
