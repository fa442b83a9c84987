using System.Security.Cryptography;

namespace Payments.Functions.Http;

/// <summary>Strong validators derived from representation bytes: the same bytes give the same tag on any instance.</summary>
public static class StrongETag
{
    public static string For(ReadOnlySpan<byte> representation) =>
        "\"" + Convert.ToBase64String(SHA256.HashData(representation)[..18]).Replace('+', '-').Replace('/', '_') + "\"";

    /// <summary>RFC 9110 strong comparison against an If-Match / If-None-Match list (or "*").</summary>
    public static bool Matches(string? headerValue, string etag)
    {
        if (string.IsNullOrWhiteSpace(headerValue))
        {
            return false;
        }

        foreach (var candidate in headerValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate == "*" || string.Equals(candidate, etag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
