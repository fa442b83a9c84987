using System.Globalization;

namespace Idempotency.Tables;

/// <summary>The problem+json answers of the idempotency layer: what went wrong, and what the client does next.</summary>
public static class IdempotencyProblems
{
    // Problem type names; the type URI is IdempotencyOptions.ProblemTypeBaseUri followed by the name.
    /// <summary>Problem type name: the Idempotency-Key header is missing (400).</summary>
    public const string KeyMissingName = "idempotency-key-missing";
    /// <summary>Problem type name: the Idempotency-Key header is invalid (400).</summary>
    public const string KeyInvalidName = "idempotency-key-invalid";
    /// <summary>Problem type name: the body is over Idempotency:MaxRequestBodyBytes (413).</summary>
    public const string BodyTooLargeName = "request-body-too-large";
    /// <summary>Problem type name: the key was used for a different request (422).</summary>
    public const string KeyReusedName = "idempotency-key-reused";
    /// <summary>Problem type name: the first attempt still runs (409).</summary>
    public const string InProgressName = "idempotency-request-in-progress";
    /// <summary>Problem type name: the store could not be reached (503).</summary>
    public const string StoreUnavailableName = "storage-unavailable";
    /// <summary>Problem type name: storage refused the handler's write as invalid (400).</summary>
    public const string NotStorableName = "not-storable";

    /// <summary>How long a client waits before retrying when storage was unreachable.</summary>
    public const int StoreUnavailableRetryAfterSeconds = 2;

    /// <summary>400: the header is missing; the detail says how to make a key.</summary>
    public static ProblemDetails KeyMissing(string typeBase) =>
        new(typeBase + KeyMissingName, "Idempotency-Key header required", 400, IdempotencyKey.MissingMessage);

    /// <summary>400: the header is invalid; <paramref name="error"/> says what is wrong and how to fix it.</summary>
    public static ProblemDetails KeyInvalid(string typeBase, string error) =>
        new(typeBase + KeyInvalidName, "Invalid Idempotency-Key header", 400, error);

    /// <summary>413: the body is over the limit.</summary>
    public static ProblemDetails BodyTooLarge(string typeBase, long bodyBytes, int limit) =>
        new(typeBase + BodyTooLargeName, "Request body too large", 413, string.Create(CultureInfo.InvariantCulture,
            $"The request body has {bodyBytes} bytes; this endpoint accepts at most {limit}. Send a smaller body."));

    /// <summary>422: the key belongs to a different request.</summary>
    public static ProblemDetails KeyReused(string typeBase) =>
        new(typeBase + KeyReusedName, "Idempotency-Key already used for a different request", 422,
            "This Idempotency-Key was already used for a different request (another method, path or body). A key identifies one " +
            "request: use a new key for a new request, and reuse a key only to retry exactly the same request.");

    /// <summary>409 with Retry-After: the first attempt still runs.</summary>
    public static ProblemDetails InProgress(string typeBase, TimeSpan retryAfter, DateTimeOffset lockedUntil)
    {
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        return new(typeBase + InProgressName, "A request with this Idempotency-Key is in progress", 409, string.Create(CultureInfo.InvariantCulture,
            $"An earlier request with this Idempotency-Key is still being processed. Retry the same request with the same key after " +
            $"{seconds} s to receive its outcome; if that attempt failed, the key becomes available again at {lockedUntil:O}."),
            RetryAfterSeconds: seconds);
    }

    /// <summary>
    /// 503 with Retry-After: storage could not be reached; retrying with the same key is safe. An app that answers its
    /// own storage failures uses this one too, so every storage-unavailable answer is the same.
    /// </summary>
    public static ProblemDetails StoreUnavailable(string typeBase) =>
        new(typeBase + StoreUnavailableName, "Storage is unreachable", 503,
            "The request was not completed because storage could not be reached. Retry it after Retry-After; a retry with the same " +
            "Idempotency-Key never runs twice.", RetryAfterSeconds: StoreUnavailableRetryAfterSeconds);

    /// <summary>400: storage refused the handler's write as invalid; nothing was written.</summary>
    public static ProblemDetails NotStorable(string typeBase, string? storageErrorCode) =>
        new(typeBase + NotStorableName, "The request cannot be stored", 400,
            $"Storage refused to store this request ({storageErrorCode ?? "no error code"}); nothing was written. A string property holds at most " +
            "64 KiB as stored (UTF-16) and an entity 1 MiB: send smaller values, with the same or a new Idempotency-Key.");
}
