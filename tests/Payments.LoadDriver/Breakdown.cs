namespace Payments.LoadDriver;

/// <summary>One part of a request's time, from the traced phase.</summary>
public sealed record BreakdownRow(string Request, string Part, double P50Ms, double MeanMs, long Samples, string Source);

public static class Breakdown
{
    public static Task<IReadOnlyList<BreakdownRow>> MeasureAsync(BenchOptions options, Action<string> say, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BreakdownRow>>([]);
}
