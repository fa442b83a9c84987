using System.Net.Http.Headers;

namespace Idempotency.Tables;

/// <summary>What a Content-Type says about JSON, decided in one place for the fingerprint and for an app's body check.</summary>
public static class JsonMediaType
{
    /// <summary>The media type without its parameters, trimmed and lower case; empty when there is none.</summary>
    public static string Of(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var type = semicolon < 0 ? contentType : contentType[..semicolon];
        return type.Trim().ToLowerInvariant();
    }

    /// <summary>application/json or any structured-syntax <c>+json</c> type (given as <see cref="Of"/> returns it).</summary>
    public static bool IsJson(string mediaType)
    {
        ArgumentNullException.ThrowIfNull(mediaType);
        return mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);
    }

    /// <summary>A well-formed Content-Type naming a JSON media type, with no charset or UTF-8 (RFC 8259 JSON is UTF-8).</summary>
    public static bool IsUtf8Json(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
        {
            return false;
        }

        var charset = parsed.CharSet;
        var utf8 = charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
        return utf8 && IsJson(parsed.MediaType.ToLowerInvariant());
    }
}
