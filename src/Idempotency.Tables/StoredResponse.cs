using System.Collections.Frozen;
using System.Text.Json;

namespace Idempotency.Tables;

/// <summary>
/// The outcome kept for replays: status, the headers a client needs to act on the response, and the body bytes exactly
/// as first sent. Other headers (dates, trace ids, cookies) describe one delivery, not the outcome, and are not kept.
/// </summary>
public sealed record StoredResponse
{
    /// <summary>The largest binary property Table Storage accepts.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>Headers kept with a stored outcome (case-insensitive).</summary>
    public static readonly FrozenSet<string> StoredHeaders = new[]
    {
        "Location", "Content-Type", "Content-Location", "Content-Language", "ETag", "Last-Modified", "Retry-After", "Link",
        "Cache-Control", "Preference-Applied",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Keeps the status, the allow-listed headers and the body.</summary>
    public StoredResponse(int statusCode, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (statusCode is < 100 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "An HTTP status code is between 100 and 599.");
        }

        StatusCode = statusCode;
        Headers = headers.Where(h => StoredHeaders.Contains(h.Key)).ToArray();
        Body = body;
    }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    /// <summary>The kept headers, in their order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The body, byte for byte.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    internal string SerializeHeaders() =>
        JsonSerializer.Serialize(Headers.Select(h => new[] { h.Key, h.Value }).ToArray(), IdempotencyJsonContext.Default.StringArrayArray);

    internal static IEnumerable<KeyValuePair<string, string>> DeserializeHeaders(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        var pairs = JsonSerializer.Deserialize(json, IdempotencyJsonContext.Default.StringArrayArray) ?? [];
        return pairs.Where(p => p.Length == 2).Select(p => new KeyValuePair<string, string>(p[0], p[1]));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[][]))]
internal sealed partial class IdempotencyJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
