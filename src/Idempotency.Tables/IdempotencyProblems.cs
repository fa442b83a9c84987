using System.Globalization;

namespace Idempotency.Tables;

/// <summary>The problem+json answers of the idempotency layer: what went wrong, and what the client does next.</summary>
public static class IdempotencyProblems
{
    // Problem type names; the type URI is IdempotencyOptions.ProblemTypeBaseUri followed by the name.
    public const string KeyMissingName = "idempotency-key-missing";
    public const string KeyInvalidName = "idempotency-key-invalid";
    public const string BodyTooLargeName = "request-body-too-large";
    public const string KeyReusedName = "idempotency-key-reused";
    public const string InProgressName = "idempotency-request-in-progress";
    public const string StoreUnavailableName = "storage-unavailable";
    public const string NotStorableName = "not-storable";

    /// <summary>How long a client waits before retrying when storage was unreachable.</summary>
    public const int StoreUnavailableRetryAfterSeconds = 2;

    public static ProblemDetails KeyMissing(string typeBase) =>
        new(typeBase + KeyMissingName, "Idempotency-Key header required", 400, IdempotencyKey.MissingMessage);

    public static ProblemDetails KeyInvalid(string typeBase, string error) =>
        new(typeBase + KeyInvalidName, "Invalid Idempotency-Key header", 400, error);

    public static ProblemDetails BodyTooLarge(string typeBase, int bodyBytes, int limit) =>
        new(typeBase + BodyTooLargeName, "Request body too large", 413, string.Create(CultureInfo.InvariantCulture,
            $"The request body has {bodyBytes} bytes; this endpoint accepts at most {limit}. Send a smaller body."));

    public static ProblemDetails KeyReused(string typeBase) =>
        new(typeBase + KeyReusedName, "Idempotency-Key already used for a different request", 422,
            "This Idempotency-Key was already used for a different request (another method, path or body). A key identifies one " +
            "request: use a new key for a new request, and reuse a key only to retry exactly the same request.");

    public static ProblemDetails InProgress(string typeBase, TimeSpan retryAfter, DateTimeOffset lockedUntil)
    {
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        return new(typeBase + InProgressName, "A request with this Idempotency-Key is in progress", 409, string.Create(CultureInfo.InvariantCulture,
            $"An earlier request with this Idempotency-Key is still being processed. Retry the same request with the same key after " +
            $"{seconds} s to receive its outcome; if that attempt failed, the key becomes available again at {lockedUntil:O}."),
            RetryAfterSeconds: seconds);
    }

    public static ProblemDetails StoreUnavailable(string typeBase) =>
        new(typeBase + StoreUnavailableName, "Storage is unreachable", 503,
            "The request was not processed because the idempotency store could not be reached. Retry the same request with the same " +
            "Idempotency-Key; it is safe.", RetryAfterSeconds: StoreUnavailableRetryAfterSeconds);

    public static ProblemDetails NotStorable(string typeBase, string? storageErrorCode) =>
        new(typeBase + NotStorableName, "The request cannot be stored", 400,
            $"Storage refused to store this request ({storageErrorCode ?? "no error code"}); nothing was written. A string property holds at most " +
            "64 KiB as stored (UTF-16) and an entity 1 MiB: send smaller values, with the same or a new Idempotency-Key.");
}
