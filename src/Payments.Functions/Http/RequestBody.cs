using Payments.Core;

namespace Payments.Functions.Http;

/// <summary>
/// A JSON request body the API validates before anything else happens (in particular before an Idempotency-Key is
/// claimed), so a bad request leaves nothing behind.
/// </summary>
public static class RequestBody
{
    /// <summary>Media type, size (at most <paramref name="maxBytes"/>), strict JSON, then the fields: the first refusal wins.</summary>
    public static BodyReadResult<T> ReadValid<T>(ReadOnlySpan<byte> body, string? contentType, int maxBytes)
        where T : class, IValidatable<T>
    {
        var read = JsonBody.Read(body, contentType, T.JsonTypeInfo, maxBytes);
        if (read is BodyReadResult<T>.Read { Value: var value } && value.Validate() is { Count: > 0 } errors)
        {
            return new BodyReadResult<T>.Refused(ApiProblems.Validation(errors));
        }

        return read;
    }
}
