using Google.Protobuf;

namespace Payments.Testing.Telemetry;

/// <summary>A span as an OTLP receiver got it: ids in lowercase hex, its attributes as text.</summary>
public sealed record OtlpSpan(
    string TraceId, string SpanId, string ParentSpanId, string Name, string Scope,
    IReadOnlyList<KeyValuePair<string, string>> Attributes, IReadOnlyList<(string TraceId, string SpanId)> Links)
{
    /// <summary>Span.start_time_unix_nano (7) and end_time_unix_nano (8): what a span's duration is read from.</summary>
    public ulong StartUnixNano { get; init; }

    public ulong EndUnixNano { get; init; }

    public double DurationMs => EndUnixNano > StartUnixNano ? (EndUnixNano - StartUnixNano) / 1e6 : 0;

    /// <summary>
    /// Decodes an <c>ExportTraceServiceRequest</c> (opentelemetry-proto <c>collector/trace/v1/trace_service.proto</c>):
    /// only the fields a test reads, every other field skipped by its wire type. Field numbers, from
    /// <c>trace/v1/trace.proto</c> and <c>common/v1/common.proto</c>: ResourceSpans.resource 1, .scope_spans 2;
    /// Resource.attributes 1; ScopeSpans.scope 1, .spans 2; InstrumentationScope.name 1; Span.trace_id 1, .span_id 2,
    /// .parent_span_id 4, .name 5, .attributes 9, .links 13; Link.trace_id 1, .span_id 2; KeyValue.key 1, .value 2;
    /// AnyValue.string_value 1, .bool_value 2, .int_value 3, .double_value 4.
    /// </summary>
    public static IReadOnlyList<OtlpSpan> DecodeExportRequest(byte[] body, List<KeyValuePair<string, string>> resourceAttributes)
    {
        ArgumentNullException.ThrowIfNull(resourceAttributes);
        var spans = new List<OtlpSpan>();
        foreach (var (field, resourceSpans) in Fields(body))
        {
            if (field != 1)
            {
                continue;
            }

            foreach (var (inner, value) in Fields(resourceSpans))
            {
                if (inner == 1)
                {
                    resourceAttributes.AddRange(Fields(value).Where(f => f.Field == 1).Select(f => KeyValue(f.Value)));
                }
                else if (inner == 2)
                {
                    var scope = string.Empty;
                    foreach (var (scopeField, scopeValue) in Fields(value))
                    {
                        if (scopeField == 1)
                        {
                            scope = Fields(scopeValue).Where(f => f.Field == 1).Select(f => Text(f.Value)).FirstOrDefault() ?? string.Empty;
                        }
                        else if (scopeField == 2)
                        {
                            spans.Add(Span(scopeValue, scope));
                        }
                    }
                }
            }
        }

        return spans;
    }

    private static OtlpSpan Span(byte[] bytes, string scope)
    {
        string traceId = string.Empty, spanId = string.Empty, parent = string.Empty, name = string.Empty;
        var attributes = new List<KeyValuePair<string, string>>();
        var links = new List<(string, string)>();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value); break;
                case 2: spanId = Convert.ToHexStringLower(value); break;
                case 4: parent = Convert.ToHexStringLower(value); break;
                case 5: name = Text(value); break;
                case 9: attributes.Add(KeyValue(value)); break;
                case 13:
                    var link = Fields(value).ToList();
                    links.Add((Convert.ToHexStringLower(link.FirstOrDefault(f => f.Field == 1).Value ?? []),
                        Convert.ToHexStringLower(link.FirstOrDefault(f => f.Field == 2).Value ?? [])));
                    break;
            }
        }

        var (start, end) = Times(bytes);
        return new OtlpSpan(traceId, spanId, parent, name, scope, attributes, links) { StartUnixNano = start, EndUnixNano = end };
    }

    private static (ulong Start, ulong End) Times(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        ulong start = 0, end = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var fixed64 = WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed64;
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 7 when fixed64: start = input.ReadFixed64(); break;
                case 8 when fixed64: end = input.ReadFixed64(); break;
                default: input.SkipLastField(); break;
            }
        }

        return (start, end);
    }

    private static KeyValuePair<string, string> KeyValue(byte[] bytes)
    {
        string key = string.Empty, value = string.Empty;
        foreach (var (field, content) in Fields(bytes))
        {
            if (field == 1)
            {
                key = Text(content);
            }
            else if (field == 2)
            {
                value = AnyValue(content);
            }
        }

        return new(key, value);
    }

    private static string AnyValue(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var parts = new List<string>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: parts.Add(input.ReadString()); break;
                case 2: parts.Add(input.ReadBool() ? "true" : "false"); break;
                case 3: parts.Add(input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                case 4: parts.Add(input.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                default: parts.Add(System.Text.Encoding.UTF8.GetString(input.ReadBytes().ToByteArray())); break; // arrays, maps, bytes: raw, for scanning
            }
        }

        return string.Join(",", parts);
    }

    /// <summary>The length-delimited fields of a message (the only kind read here); varints and fixed fields are skipped.</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var fields = new List<(int Field, byte[] Value)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                fields.Add((WireFormat.GetTagFieldNumber(tag), input.ReadBytes().ToByteArray()));
            }
            else
            {
                input.SkipLastField();
            }
        }

        return fields;
    }

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
