using Idempotency.Tables;

namespace Payments.Functions.Http;

/// <summary>An HTTP answer as the core decides it; the Functions layer only copies it onto the wire.</summary>
public sealed record ApiResponse(int StatusCode, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body)
{
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>Whether an idempotent caller should keep this answer for replays (see <see cref="ResponseRetention"/>).</summary>
    public ResponseRetention Retention { get; init; }

    /// <summary>Per-caller data: never stored by any cache (a shared or browser cache must not keep a payment); the ETag still serves If-Match and If-None-Match.</summary>
    public static ApiResponse Resource(int statusCode, byte[] json, string etag, string? location = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        List<KeyValuePair<string, string>> headers =
        [
            new("Content-Type", JsonContentType),
            new("ETag", etag),
            new("Cache-Control", "no-store"),
        ];
        if (location is not null)
        {
            headers.Add(new("Location", location));
        }

        return new ApiResponse(statusCode, headers, json);
    }

    public static ApiResponse NotModified(string etag) =>
        new(304, [new("ETag", etag), new("Cache-Control", "no-store")], ReadOnlyMemory<byte>.Empty);

    public static ApiResponse NoContent() => new(204, [], ReadOnlyMemory<byte>.Empty);

    public static ApiResponse Problem(ProblemDetails problem, string? instance, string? traceId)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new ApiResponse(problem.Status, ProblemHeaders(problem), problem.ToJson(instance, traceId));
    }

    public static IReadOnlyList<KeyValuePair<string, string>> ProblemHeaders(ProblemDetails problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Headers();
    }

    public StoredResponse ToStoredResponse() => new(StatusCode, Headers, Body);
}
