using Idempotency.Tables;

namespace Payments.Functions.Http;

/// <summary>
/// The app's one problem catalog: every problem+json it answers, with its type URI, title, status and wording. The
/// idempotency layer's problems join it through <see cref="TypeBase"/> (Idempotency:ProblemTypeBaseUri is set from it),
/// and where both layers mean the same thing (storage unavailable, body too large) the app answers with the layer's problem.
/// </summary>
public static class ApiProblems
{
    public const string TypeBase = "https://payments.example/problems/";

    /// <summary>413: the body is over Idempotency:MaxRequestBodyBytes, the app's one body limit.</summary>
    public static ProblemDetails PayloadTooLarge(long length, int limit) => IdempotencyProblems.BodyTooLarge(TypeBase, length, limit);

    /// <summary>503 with Retry-After: storage did not answer (from a function, the health probe or the idempotency layer alike).</summary>
    public static ProblemDetails StorageUnavailable() => IdempotencyProblems.StoreUnavailable(TypeBase);

    /// <summary>409 with Retry-After: another attempt with the same Idempotency-Key owns the outcome; ask again for it.</summary>
    public static ProblemDetails Superseded(DateTimeOffset lockedUntil) => IdempotencyProblems.InProgress(TypeBase, TimeSpan.FromSeconds(1), lockedUntil);

    public static ProblemDetails UnsupportedMediaType(string? contentType) => new(
        TypeBase + "unsupported-media-type", "Unsupported media type", 415,
        contentType is null or { Length: 0 }
            ? "The request has no Content-Type. Send the body as JSON with 'Content-Type: application/json'."
            : $"Content-Type '{contentType}' is not accepted. Send the body as UTF-8 JSON with 'Content-Type: application/json'.");

    public static ProblemDetails MalformedJson(string detail) => new(
        TypeBase + "malformed-json", "Malformed JSON body", 400, detail);

    public static ProblemDetails Validation(IReadOnlyDictionary<string, string[]> errors) => new(
        TypeBase + "validation", "The request is not valid", 400,
        "One or more fields are not valid; see 'errors' for each field and how to fix it.", Errors: errors);

    public static ProblemDetails UnknownSource(string source) => new(
        TypeBase + "unknown-source", "Unknown payment source", 422,
        $"source '{source}' is not a card token the payment gateway knows. In test mode use tok_visa, tok_chargeDeclined, " +
        "tok_processingError, tok_slowCharge or tok_transientError (see the API description).");

    public static ProblemDetails UnknownCustomer(string customerId) => new(
        TypeBase + "unknown-customer", "Unknown customer", 422,
        $"customerId '{customerId}' is not one of your customers. Create the customer first, or leave customerId out.");

    public static ProblemDetails EmailTaken(string existingCustomerId) => new(
        TypeBase + "email-taken", "Email already used", 409,
        $"Your customer {existingCustomerId} already has this email (emails are unique per merchant, ignoring case). " +
        "Update that customer instead, or use another email.");

    public static ProblemDetails CustomerChanged() => new(
        TypeBase + "precondition-failed", "The customer has changed", 412,
        "If-Match does not name the current version. GET the customer for its current ETag, then retry.");

    public static ProblemDetails NotFound(string what) => new(
        TypeBase + "not-found", "Not found", 404, $"No {what} with this id exists for the caller.");

    /// <summary>Table Storage refused a write as invalid (400): the request holds more than an entity can, in a way validation did not foresee.</summary>
    public static ProblemDetails NotStorable(string? storageErrorCode) => new(
        TypeBase + IdempotencyProblems.NotStorableName, "The request cannot be stored", 400,
        $"Storage refused to store this request ({storageErrorCode ?? "no error code"}); nothing was written. A string property holds at most " +
        "64 KiB as stored (JSON-escaped, UTF-16) and an entity 1 MiB: send less metadata or a shorter description, with the same or a new Idempotency-Key.");

    public static ProblemDetails InternalError(string invocationId) => new(
        TypeBase + "internal-error", "Internal error", 500,
        $"The request failed unexpectedly. Retry with the same Idempotency-Key; if it keeps failing, report invocation {invocationId}.");

    public static ProblemDetails LengthRequired() => new(
        TypeBase + "length-required", "Content-Length required", 411,
        "The request has a body but no Content-Length (for example a chunked body), which Azure Functions would drop. " +
        "Send the body with a Content-Length header.");

    public static ProblemDetails NoSuchRoute(string path) => new(
        TypeBase + "not-found", "Not found", 404, $"No route matches '{path}'. See /api/v1/openapi.json for the routes.");

    public static ProblemDetails MethodNotAllowed(string method, IEnumerable<string> allowed) => new(
        TypeBase + "method-not-allowed", "Method not allowed", 405,
        $"{method} is not allowed here. Use one of: {string.Join(", ", allowed)} (listed in the Allow header).");

    /// <summary>401 without credentials (<paramref name="missing"/>) or with a token that does not verify; the detail says why.</summary>
    public static ProblemDetails Unauthenticated(bool missing, string description) => new(
        TypeBase + (missing ? "authentication-required" : "invalid-token"),
        missing ? "Authentication required" : "The access token is not valid", 401, description);

    public static ProblemDetails InsufficientScope(string description) => new(
        TypeBase + "insufficient-scope", "The access token lacks a required scope", 403, description + " Request a token with that scope.");

    /// <summary>503 with Retry-After: the issuer's signing keys cannot be had, so no token can be verified (not a storage failure).</summary>
    public static ProblemDetails AuthenticationUnavailable(string description) => new(
        TypeBase + "authentication-unavailable", "Authentication is temporarily unavailable", 503, description,
        RetryAfterSeconds: AuthenticationRetryAfterSeconds);

    private const int AuthenticationRetryAfterSeconds = 5;
}
