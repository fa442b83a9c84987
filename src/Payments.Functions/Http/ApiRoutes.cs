namespace Payments.Functions.Http;

/// <summary>
/// Every HTTP route the app serves and the methods each allows (under the host's "api" prefix). OPTIONS answers from
/// this table; a test checks it against the functions' own trigger metadata and against the OpenAPI document.
/// </summary>
public static class ApiRoutes
{
    public static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["health"] = ["GET", "HEAD", "OPTIONS"],
        ["v1/openapi.json"] = ["GET", "HEAD", "OPTIONS"],
        ["v1/payments"] = ["GET", "HEAD", "POST", "OPTIONS"],
        ["v1/payments/{id}"] = ["GET", "HEAD", "OPTIONS"],
        ["v1/customers"] = ["POST", "OPTIONS"],
        ["v1/customers/{id}"] = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"],
    };

    /// <summary>The route template a concrete path (without the "api/" prefix) belongs to, or null.</summary>
    public static string? Match(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Trim('/').Split('/');
        foreach (var template in Allowed.Keys)
        {
            var parts = template.Split('/');
            if (parts.Length == segments.Length && parts.Zip(segments).All(pair =>
                pair.First.StartsWith('{') ? pair.Second.Length > 0 : string.Equals(pair.First, pair.Second, StringComparison.Ordinal)))
            {
                return template;
            }
        }

        return null;
    }
}
