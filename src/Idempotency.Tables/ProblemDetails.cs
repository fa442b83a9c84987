using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Idempotency.Tables;

/// <summary>An RFC 9457 problem: what went wrong and how to fix it, never a stack trace.</summary>
public sealed record ProblemDetails(
    string Type,
    string Title,
    int Status,
    string Detail,
    int? RetryAfterSeconds = null,
    IReadOnlyDictionary<string, string[]>? Errors = null)
{
    /// <summary>The media type of a problem document.</summary>
    public const string ContentType = "application/problem+json";

    /// <summary>The problem as RFC 9457 JSON, with the request path as <c>instance</c> and the trace id.</summary>
    public byte[] ToJson(string? instance, string? traceId) =>
        JsonSerializer.SerializeToUtf8Bytes(new Wire(Type, Title, Status, Detail, instance, traceId, Errors), WireContext.Default.Wire);

    /// <summary>The headers a problem answer carries: its media type, no caching, and <c>Retry-After</c> when it has one.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers()
    {
        List<KeyValuePair<string, string>> headers =
        [
            new("Content-Type", ContentType),
            new("Cache-Control", "no-store"),
        ];
        if (RetryAfterSeconds is int retryAfter)
        {
            headers.Add(new("Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture)));
        }

        return headers;
    }

    internal sealed record Wire(
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("status")] int Status,
        [property: JsonPropertyName("detail")] string Detail,
        [property: JsonPropertyName("instance"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Instance,
        [property: JsonPropertyName("traceId"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TraceId,
        [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string[]>? Errors);
}

[JsonSerializable(typeof(ProblemDetails.Wire))]
internal sealed partial class WireContext : JsonSerializerContext;
