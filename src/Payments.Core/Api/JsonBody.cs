using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Payments.Core.Problems;

namespace Payments.Core.Api;

public abstract record BodyReadResult<T>
{
    private BodyReadResult()
    {
    }

    public sealed record Read(T Value) : BodyReadResult<T>;

    public sealed record Refused(ProblemDetails Problem) : BodyReadResult<T>;
}

/// <summary>
/// Reads a JSON request body strictly: JSON media type only, a size limit, no unknown or duplicate properties, bounded
/// depth, and error messages that point at the offending position.
/// </summary>
public static class JsonBody
{
    public const int MaxBytes = 64 * 1024;
    public const int MaxDepth = 16;

    public static bool IsJsonMediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
        {
            return false;
        }

        var charset = parsed.CharSet;
        var utf8 = charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
        return utf8 && (parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || parsed.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The checks that need no parsing, in the order a client would want to hear about them.</summary>
    public static ProblemDetails? CheckEnvelope(string? contentType, long length)
    {
        if (length > MaxBytes)
        {
            return ApiProblems.PayloadTooLarge(length, MaxBytes);
        }

        return IsJsonMediaType(contentType) ? null : ApiProblems.UnsupportedMediaType(contentType);
    }

    public static BodyReadResult<T> Read<T>(ReadOnlySpan<byte> body, string? contentType, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (CheckEnvelope(contentType, body.Length) is { } envelopeProblem)
        {
            return new BodyReadResult<T>.Refused(envelopeProblem);
        }

        if (body.IsEmpty)
        {
            return new BodyReadResult<T>.Refused(ApiProblems.MalformedJson("The body is empty; send a JSON object."));
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
            var value = JsonSerializer.Deserialize(ref reader, typeInfo);
            if (reader.Read())
            {
                return new BodyReadResult<T>.Refused(ApiProblems.MalformedJson(string.Create(CultureInfo.InvariantCulture,
                    $"Unexpected content after the JSON value (byte {reader.TokenStartIndex + 1}); send exactly one JSON object.")));
            }

            return value is null
                ? new BodyReadResult<T>.Refused(ApiProblems.MalformedJson("The body is JSON null; send a JSON object."))
                : new BodyReadResult<T>.Read(value);
        }
        catch (JsonException ex)
        {
            return new BodyReadResult<T>.Refused(ApiProblems.MalformedJson(Describe(ex)));
        }
    }

    private static string Describe(JsonException ex)
    {
        // The serializer's message names the path and position but may also name .NET types; keep what helps a client.
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var reason = cut > 0 ? message[..cut] : message;
        reason = reason.Replace("System.Int64", "an integer", StringComparison.Ordinal)
            .Replace("System.String", "a string", StringComparison.Ordinal)
            .Replace("System.Collections.Generic.Dictionary`2[System.String,System.String]", "an object of strings", StringComparison.Ordinal);
        var where = ex.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
        var position = ex.LineNumber is long line && ex.BytePositionInLine is long column
            ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {column + 1})")
            : string.Empty;
        return $"{reason.TrimEnd('.')}{where}{position}.";
    }
}
