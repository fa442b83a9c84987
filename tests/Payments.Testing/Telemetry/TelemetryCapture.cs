using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Payments.Testing.Telemetry;

/// <summary>
/// The OpenTelemetry SDK with in-memory exporters, subscribed to the named sources and meters for the lifetime of a
/// test: what an exporter would receive, spans as they end and metrics on demand. Sampling is on for everything so a
/// test sees each span whatever the parent's flags say. Meters are process-wide, so tests that assert on measurements
/// run in a collection that does not run beside other writers of the same instruments.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly List<Activity> _spans = [];
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly TracerProvider _tracerProvider;
    private readonly MeterProvider _meterProvider;

    public TelemetryCapture(params string[] names)
    {
        _tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddSource(names)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_spans)
            .Build()!;
        _meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(names)
            .AddInMemoryExporter(_metrics)
            .Build()!;
    }

    /// <summary>Spans ended so far.</summary>
    public IReadOnlyList<Activity> Spans
    {
        get
        {
            _tracerProvider.ForceFlush();
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>Ended spans of one name in one trace.</summary>
    public IReadOnlyList<Activity> SpansNamed(string name, ActivityTraceId traceId) =>
        [.. Spans.Where(span => span.DisplayName == name && span.TraceId == traceId)];

    /// <summary>Every metric point exported now (cumulative since this capture started).</summary>
    public IReadOnlyList<(string Instrument, string? Unit, MetricType Type, MetricPoint Point)> Points()
    {
        _metrics.Clear();
        _meterProvider.ForceFlush();
        return [.. _metrics.SelectMany(metric => metric.MetricPoints.Select(point => (metric.Name, (string?)metric.Unit, metric.MetricType, point)))];
    }

    /// <summary>
    /// The sum of a counter (or the count of a histogram) over the points whose attributes include all of
    /// <paramref name="attributes"/>.
    /// </summary>
    public double Total(string instrument, params (string Key, object Value)[] attributes)
    {
        double total = 0;
        foreach (var (name, _, type, point) in Points())
        {
            if (name != instrument || !Matches(point, attributes))
            {
                continue;
            }

            total += type switch
            {
                MetricType.Histogram or MetricType.ExponentialHistogram => point.GetHistogramCount(),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic or MetricType.DoubleGauge => point.GetSumDouble(),
                _ => point.GetSumLong(),
            };
        }

        return total;
    }

    /// <summary>Every attribute key and value on exported spans (tags, links, events) and metric points.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> AllAttributes()
    {
        var all = new List<KeyValuePair<string, string>>();
        foreach (var span in Spans)
        {
            all.AddRange(span.TagObjects.Select(tag => new KeyValuePair<string, string>(tag.Key, tag.Value?.ToString() ?? string.Empty)));
            all.AddRange(span.Events.SelectMany(e => e.Tags).Select(tag => new KeyValuePair<string, string>(tag.Key, tag.Value?.ToString() ?? string.Empty)));
            all.Add(new("span.name", span.DisplayName));
            all.Add(new("span.status", span.StatusDescription ?? string.Empty));
        }

        foreach (var (_, _, _, point) in Points())
        {
            foreach (var tag in point.Tags)
            {
                all.Add(new(tag.Key, tag.Value?.ToString() ?? string.Empty));
            }
        }

        return all;
    }

    public void Dispose()
    {
        _tracerProvider.Dispose();
        _meterProvider.Dispose();
    }

    private static bool Matches(MetricPoint point, (string Key, object Value)[] attributes)
    {
        var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value;
        }

        return attributes.All(wanted => tags.TryGetValue(wanted.Key, out var value) && Equals(value?.ToString(), wanted.Value.ToString()));
    }
}
