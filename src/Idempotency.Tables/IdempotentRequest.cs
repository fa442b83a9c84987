
namespace Idempotency.Tables;

/// <summary>What the HTTP adapter extracts from a request before anything runs.</summary>
/// <param name="Subject">The verified caller (the JWT <c>sub</c>); keys are scoped to it.</param>
/// <param name="IdempotencyKeyHeader">The raw <c>Idempotency-Key</c> header value, or null when absent.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path the handler acts on (include the query string when the handler reads it).</param>
/// <param name="ContentType">The <c>Content-Type</c> header, or null.</param>
/// <param name="Body">The request body bytes.</param>
public sealed record IdempotentRequest(
    string Subject,
    string? IdempotencyKeyHeader,
    string Method,
    string Path,
    string? ContentType,
    ReadOnlyMemory<byte> Body)
{
    /// <summary>The repeatable-requests headers, when the request carries either (<see cref="RepeatabilityHeaders.From"/>).</summary>
    public RepeatabilityHeaders? Repeatability { get; init; }

    /// <summary>Goes into problem responses as <c>traceId</c>.</summary>
    public string? TraceId { get; init; }

    /// <summary>The table holding the records; null: the default idempotency table (Storage:IdempotencyTable).</summary>
    public string? Table { get; init; }

    /// <summary>Claim the key before the handler runs (default), or let the handler's own transaction carry the record.</summary>
    public IdempotencyMode Mode { get; init; }
}

/// <summary>Whether a handler's response is kept for replays.</summary>
public enum ResponseRetention
{
    /// <summary>2xx, 3xx and deliberate 4xx outcomes are stored; 400/401/403/408/413/415/429 and every 5xx are not.</summary>
    Default,

    /// <summary>A final business outcome (a declined card, a duplicate): stored, whatever its 2xx-4xx status.</summary>
    Final,

    /// <summary>Not stored: the key is released and a retry executes again.</summary>
    Transient,
}

/// <summary>The handler's response as the adapter captured it.</summary>
public sealed record HandlerResult(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body)
{
    /// <summary>Whether the response is kept for replays; <see cref="ResponseRetention.Default"/> follows the status code.</summary>
    public ResponseRetention Retention { get; init; }
}

/// <summary>How the orchestrator answered.</summary>
public enum IdempotencyDisposition
{
    /// <summary>The handler ran; its response is returned as is.</summary>
    Executed,

    /// <summary>A stored response, byte for byte, with <c>Idempotent-Replayed: true</c>.</summary>
    Replayed,

    /// <summary>Refused before claiming: the key is missing or invalid (400), or the body too large (413).</summary>
    Rejected,

    /// <summary>The key is in use by a running attempt (409).</summary>
    InProgress,

    /// <summary>The key was used for a different request (422).</summary>
    Mismatch,

    /// <summary>The store could not be reached to claim the key (503); the handler did not run.</summary>
    StoreUnavailable,
}

/// <summary>What the adapter writes back: status, headers and body, nothing to add.</summary>
public sealed record IdempotentResponse(
    int StatusCode,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    ReadOnlyMemory<byte> Body,
    IdempotencyDisposition Disposition)
{
    /// <summary>The header a replayed response carries, with the value <c>true</c>.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The problem behind an error answer (already serialized into <see cref="Body"/>), for adapters that render their own.</summary>
    public ProblemDetails? Problem { get; init; }
}
