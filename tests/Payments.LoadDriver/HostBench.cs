using System.Text.Json;

namespace Payments.LoadDriver;

public sealed record HostBenchRow(string Path, int Clients, double RequestsPerSecond, double P50, double P99);

/// <summary>
/// The local host's own figures, measured by tests/Functions.LocalHost.Benchmarks (<c>--json</c>) in the same
/// scripts/bench.sh run: start-to-ready beside the worker's own start, and HTTP through the host beside raw gRPC.
/// </summary>
public sealed record HostBench(IReadOnlyList<double> StartToReadyMs, IReadOnlyList<double> WorkerStartToInitResponseMs, IReadOnlyList<HostBenchRow> Rows)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public HostBenchRow? Row(string path, int clients) => Rows.FirstOrDefault(r => r.Path == path && r.Clients == clients);

    public static HostBench? Read(string? file) =>
        file is not null && File.Exists(file) ? JsonSerializer.Deserialize<HostBench>(File.ReadAllText(file), Json) : null;
}
