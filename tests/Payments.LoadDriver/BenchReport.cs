using System.Net;
using System.Text;
using System.Text.Json;

namespace Payments.LoadDriver;

/// <summary>report.md, report.json and chart.svg (throughput, p50 and p99 per scenario and concurrency).</summary>
public static class BenchReport
{
    public static async Task WriteAsync(BenchResult result, BenchOptions options, TimeSpan appStartup)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        var machine = Inv.S($"{Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        var json = JsonSerializer.Serialize(new
        {
            createdUtc = DateTime.UtcNow,
            machine,
            loadAverage = result.LoadAverage,
            durationSecondsPerScenario = options.Duration.TotalSeconds,
            appStorage = "through the strict guard's proxy",
            baselineStorage = options.BaselinesThroughProxy ? "through a proxy of their own" : "direct",
            concurrency = options.Concurrency,
            appStartupSeconds = appStartup.TotalSeconds,
            goals = result.Goals.Select(g => new { name = g.Name, value = g.Value, target = g.Target, met = g.Met, measured = g.Measured, why = g.Why }),
            scenarios = result.Scenarios.Select(s => new
            {
                s.Scenario, s.Clients, s.Operations, s.Errors, s.Seconds, s.PerSecond, s.P50Ms, s.P99Ms, s.MeanMs, s.FirstError, s.StorageRequestsPerOperation,
                baseline = BenchRun.BaselineOf.GetValueOrDefault(s.Scenario),
                ratioToBaseline = Ratio(result, s),
                p99RatioToBaseline = P99Ratio(result, s),
            }),
            transactions = result.Transactions,
            breakdown = result.Breakdown,
            host = result.Host,
        }, Inv.Indented);
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.json"), json);

        var md = new StringBuilder();
        md.AppendLine("# Benchmark report").AppendLine()
          .AppendLine(Inv.S($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {machine}; load average {result.LoadAverage}. Azurite, the local Functions host, the worker and this driver share the machine. {options.Duration.TotalSeconds:0.#} s per scenario and concurrency, closed-loop clients. The app's table requests pass the strict guard's proxy; the raw baselines' table requests go {(options.BaselinesThroughProxy ? "through a proxy of their own (the same code), so both sides of a ratio pay the same hop" : "direct to Azurite, so the app's ratios also carry the proxy's cost")}. Each baseline does the app's storage requests for the same work (RawBaselineParityTests holds them equal)."))
          .AppendLine()
          .AppendLine("## Goals").AppendLine()
          .AppendLine("| goal | value | target | result | measured |").AppendLine("| --- | ---: | --- | --- | --- |");
        foreach (var goal in result.Goals)
        {
            md.AppendLine(Inv.S($"| {goal.Name} | {(goal.Value is { } v ? Inv.F(v, "0.00") : "-")} | {goal.Target} | {(goal.Met ? "PASS" : "**MISS**")} | {goal.Measured} |"));
        }

        md.AppendLine().AppendLine("## Throughput and latency, each scenario beside its baseline").AppendLine()
          .AppendLine("| scenario | clients | ops | ops/s | p50 ms | p99 ms | errors | throughput / baseline | p99 / baseline | baseline's storage requests/op |")
          .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in Ordered(result.Scenarios))
        {
            var ratio = Ratio(result, s);
            var p99 = P99Ratio(result, s);
            md.AppendLine(Inv.S($"| {s.Scenario} | {s.Clients} | {s.Operations} | {s.PerSecond:0.0} | {s.P50Ms:0.00} | {s.P99Ms:0.00} | {s.Errors} | {(ratio is null ? "" : Inv.S($"{ratio:P0}"))} | {(p99 is null ? "" : Inv.S($"{p99:0.00}x"))} | {(s.StorageRequestsPerOperation is { } perOperation ? Inv.F(perOperation, "0.00") : "")} |"));
        }

        if (result.Breakdown.Count > 0)
        {
            md.AppendLine().AppendLine("## Where the time goes (traced phase, 1 client)").AppendLine()
              .AppendLine("| request | part | p50 ms | mean ms | samples | from |").AppendLine("| --- | --- | ---: | ---: | ---: | --- |");
            foreach (var row in result.Breakdown)
            {
                md.AppendLine(Inv.S($"| {row.Request} | {row.Part} | {row.P50Ms:0.000} | {row.MeanMs:0.000} | {row.Samples} | {row.Source} |"));
            }
        }

        if (result.Host is { } host)
        {
            md.AppendLine().AppendLine("## The local host (tests/Functions.LocalHost.Benchmarks, sample app's Ping)").AppendLine()
              .AppendLine(Inv.S($"Start-to-ready: {string.Join(" / ", host.StartToReadyMs.Select(ms => Inv.F(ms, "0")))} ms; the worker's own start to its init response: {string.Join(" / ", host.WorkerStartToInitResponseMs.Select(ms => Inv.F(ms, "0")))} ms."))
              .AppendLine().AppendLine("| path | clients | requests/s | p50 ms | p99 ms |").AppendLine("| --- | ---: | ---: | ---: | ---: |");
            foreach (var row in host.Rows)
            {
                md.AppendLine(Inv.S($"| {row.Path} | {row.Clients} | {row.RequestsPerSecond:0} | {row.P50:0.00} | {row.P99:0.00} |"));
            }
        }

        md.AppendLine().AppendLine("## Storage transactions per operation (counted)").AppendLine()
          .AppendLine("| operation | transactions | by kind |").AppendLine("| --- | --- | --- |");
        foreach (var count in result.Transactions)
        {
            md.AppendLine(Inv.S($"| {count.Operation} | {count.Total} | {count.Detail} |"));
        }

        md.AppendLine().AppendLine("![throughput and latency](chart.svg)");
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.md"), md.ToString());
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "chart.svg"), Chart(Ordered(result.Scenarios).Where(s => s.P99Ms > 0).ToList()));
    }

    /// <summary>Each app scenario right after its baseline, at each concurrency; anything else after them.</summary>
    public static IEnumerable<ScenarioResult> Ordered(IEnumerable<ScenarioResult> scenarios)
    {
        var all = scenarios.ToList();
        var placed = new HashSet<ScenarioResult>();
        foreach (var (app, baseline) in BenchRun.BaselineOf)
        {
            foreach (var clients in all.Select(s => s.Clients).Distinct().Order())
            {
                foreach (var row in all.Where(s => (s.Scenario == baseline || s.Scenario == app) && s.Clients == clients).OrderBy(s => s.Scenario == app))
                {
                    if (placed.Add(row))
                    {
                        yield return row;
                    }
                }
            }
        }

        foreach (var row in all.Where(s => !placed.Contains(s)))
        {
            yield return row;
        }
    }

    public static double? P99Ratio(BenchResult result, ScenarioResult scenario)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scenario);
        if (!BenchRun.BaselineOf.TryGetValue(scenario.Scenario, out var baselineName))
        {
            return null;
        }

        var baseline = result.Scenarios.FirstOrDefault(b => b.Scenario == baselineName && b.Clients == scenario.Clients);
        return baseline is { P99Ms: > 0 } ? scenario.P99Ms / baseline.P99Ms : null;
    }

    public static double? Ratio(BenchResult result, ScenarioResult scenario)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(scenario);
        if (!BenchRun.BaselineOf.TryGetValue(scenario.Scenario, out var baselineName))
        {
            return null;
        }

        var baseline = result.Scenarios.FirstOrDefault(b => b.Scenario == baselineName && b.Clients == scenario.Clients);
        return baseline is { PerSecond: > 0 } ? scenario.PerSecond / baseline.PerSecond : null;
    }

    /// <summary>Two panels of horizontal bars: operations per second, and p50 (solid) with p99 (light) latency.</summary>
    private static string Chart(List<ScenarioResult> rows)
    {
        const int labelWidth = 330, panelWidth = 330, rowHeight = 18, top = 50, gap = 40;
        var height = top + rows.Count * rowHeight + 40;
        var width = labelWidth + 2 * panelWidth + gap + 20;
        var maxRate = Math.Max(1, rows.Select(r => r.PerSecond).DefaultIfEmpty(1).Max());
        var maxLatency = Math.Max(1, rows.Select(r => r.P99Ms).DefaultIfEmpty(1).Max());
        var svg = new StringBuilder();
        svg.AppendLine(Inv.S($"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"""))
           .AppendLine(Inv.S($"""<rect width="{width}" height="{height}" fill="white"/>"""))
           .AppendLine(Inv.S($"""<text x="{labelWidth}" y="20" font-size="13" font-weight="bold">operations per second, log scale</text>"""))
           .AppendLine(Inv.S($"""<text x="{labelWidth + panelWidth + gap}" y="20" font-size="13" font-weight="bold">latency ms, log scale: p50 (dark), p99 (light)</text>"""))
           .AppendLine(Inv.S($"""<text x="{labelWidth}" y="38" fill="#666">max {maxRate:0}/s</text>"""))
           .AppendLine(Inv.S($"""<text x="{labelWidth + panelWidth + gap}" y="38" fill="#666">max {maxLatency:0.0} ms</text>"""));
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var y = top + i * rowHeight;
            var label = WebUtility.HtmlEncode(Inv.S($"{row.Scenario} ×{row.Clients}"));
            // Logarithmic: rates and latencies span three or four decades (a list page against a point read).
            var rateWidth = Math.Log10(1 + row.PerSecond) / Math.Log10(1 + maxRate) * (panelWidth - 60);
            var p50Width = Math.Log10(1 + row.P50Ms) / Math.Log10(1 + maxLatency) * (panelWidth - 60);
            var p99Width = Math.Log10(1 + row.P99Ms) / Math.Log10(1 + maxLatency) * (panelWidth - 60);
            var x2 = labelWidth + panelWidth + gap;
            var color = row.Scenario.StartsWith("raw", StringComparison.Ordinal) ? "#8c8c8c" : "#2f6db5";
            svg.AppendLine(Inv.S($"""<text x="{labelWidth - 6}" y="{y + 12}" text-anchor="end">{label}</text>"""))
               .AppendLine(Inv.S($"""<rect x="{labelWidth}" y="{y + 2}" width="{rateWidth:0.0}" height="{rowHeight - 5}" fill="{color}"/>"""))
               .AppendLine(Inv.S($"""<text x="{labelWidth + rateWidth + 4:0.0}" y="{y + 12}">{row.PerSecond:0}</text>"""))
               .AppendLine(Inv.S($"""<rect x="{x2}" y="{y + 2}" width="{p99Width:0.0}" height="{rowHeight - 5}" fill="#f2b36f"/>"""))
               .AppendLine(Inv.S($"""<rect x="{x2}" y="{y + 2}" width="{p50Width:0.0}" height="{rowHeight - 5}" fill="#c4561b"/>"""))
               .AppendLine(Inv.S($"""<text x="{x2 + p99Width + 4:0.0}" y="{y + 12}">{row.P50Ms:0.0} / {row.P99Ms:0.0}</text>"""));
        }

        svg.AppendLine(Inv.S($"""<text x="10" y="{height - 12}" fill="#666">each app scenario (blue: over HTTP through the local Functions host) right below its raw baseline (grey: the same storage requests, same Azurite, same run)</text>"""))
           .AppendLine("</svg>");
        return svg.ToString();
    }
}
