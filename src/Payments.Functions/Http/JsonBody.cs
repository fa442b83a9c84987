using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Idempotency.Tables;

namespace Payments.Functions.Http;

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
    public const int MaxDepth = 16;

    /// <summary>
    /// The checks that need no parsing, in the order a client would want to hear about them. <paramref name="maxBytes"/>
    /// is the app's one body limit, Idempotency:MaxRequestBodyBytes.
    /// </summary>
    public static ProblemDetails? CheckEnvelope(string? contentType, long length, int maxBytes)
    {
        if (length > maxBytes)
        {
            return ApiProblems.PayloadTooLarge(length, maxBytes);
        }

        return JsonMediaType.IsUtf8Json(contentType) ? null : ApiProblems.UnsupportedMediaType(contentType);
    }

    public static BodyReadResult<T> Read<T>(ReadOnlySpan<byte> body, string? contentType, JsonTypeInfo<T> typeInfo, int maxBytes)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (CheckEnvelope(contentType, body.Length, maxBytes) is { } envelopeProblem)
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
            return new BodyReadResult<T>.Refused(ApiProblems.MalformedJson(IsSyntaxError(ex) ? Describe(ex) : DescribeShape(body, typeInfo) ?? Describe(ex)));
        }
    }

    /// <summary>
    /// A fixed sentence, the JSON path and the position: never the serializer's own message, which names .NET types
    /// and internals that mean nothing to a client and tell an attacker what the API runs on.
    /// </summary>
    internal static string Describe(JsonException ex)
    {
        // A syntax error comes from the reader (the serializer wraps its JsonException); anything else is a value the
        // declared type cannot hold.
        var reason = IsSyntaxError(ex)
            ? "The body is not valid JSON"
            : "A value has the wrong type or format for its field (see the API description for each field's type)";
        var where = ex.Path is { Length: > 0 } path && path.Length <= MaxDescribedPathLength ? $" at {path}" : string.Empty;
        var position = ex.LineNumber is long line && ex.BytePositionInLine is long column
            ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {column + 1})")
            : string.Empty;
        return $"{reason}{where}{position}.";
    }

    private static bool IsSyntaxError(JsonException ex) => ex.InnerException is JsonException || ex.GetType() != typeof(JsonException);

    /// <summary>
    /// Names an unknown, repeated or missing top-level property by looking at the body again (on the failure path
    /// only), so the answer is precise without repeating the serializer's text.
    /// </summary>
    private static string? DescribeShape<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var known = typeInfo.Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    return $"The property '{Short(property.Name)}' appears more than once; send it once.";
                }

                if (!known.Contains(property.Name))
                {
                    return $"The property '{Short(property.Name)}' is not part of this request; remove it (accepted: {string.Join(", ", known)}).";
                }
            }

            var missing = typeInfo.Properties.Where(p => p.IsRequired && !seen.Contains(p.Name)).Select(p => p.Name).ToList();
            return missing.Count > 0 ? $"Required properties are missing: {string.Join(", ", missing)}." : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Short(string name) => name.Length <= 64 && name.All(c => c is >= ' ' and <= '~') ? name : "(a long or non-ASCII name)";

    /// <summary>Paths are made of the caller's own property names; a longer one is not repeated back.</summary>
    private const int MaxDescribedPathLength = 100;
}
