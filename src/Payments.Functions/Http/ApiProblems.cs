using System.Globalization;
using Idempotency.Tables;

namespace Payments.Functions.Http;

/// <summary>Every problem the API answers with, in one place, so types and wording stay consistent.</summary>
public static class ApiProblems
{
    public const string TypeBase = "https://payments.example/problems/";

    public static ProblemDetails PayloadTooLarge(long length, long limit) => new(
        TypeBase + "payload-too-large", "Request body too large", 413,
        string.Create(CultureInfo.InvariantCulture, $"The body has {length} bytes; the limit is {limit}. Send a smaller request."));

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

    public static ProblemDetails NotFound(string what) => new(
        TypeBase + "not-found", "Not found", 404, $"No {what} with this id exists for the caller.");

    /// <summary>Table Storage refused a write as invalid (400): the request holds more than an entity can, in a way validation did not foresee.</summary>
    public static ProblemDetails NotStorable(string? storageErrorCode) => new(
        TypeBase + "not-storable", "The request cannot be stored", 400,
        $"Storage refused to store this request ({storageErrorCode ?? "no error code"}); nothing was written. A string property holds at most " +
        "64 KiB as stored (JSON-escaped, UTF-16) and an entity 1 MiB: send less metadata or a shorter description, with the same or a new Idempotency-Key.");

    public static ProblemDetails LengthRequired() => new(
        TypeBase + "length-required", "Content-Length required", 411,
        "The request has a body but no Content-Length (for example a chunked body), which Azure Functions would drop. " +
        "Send the body with a Content-Length header.");

    public static ProblemDetails NoSuchRoute(string path) => new(
        TypeBase + "not-found", "Not found", 404, $"No route matches '{path}'. See /api/v1/openapi.json for the routes.");

    public static ProblemDetails MethodNotAllowed(string method, IEnumerable<string> allowed) => new(
        TypeBase + "method-not-allowed", "Method not allowed", 405,
        $"{method} is not allowed here. Use one of: {string.Join(", ", allowed)} (listed in the Allow header).");
}
