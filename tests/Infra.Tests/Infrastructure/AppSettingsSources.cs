using System.Text.Json;
using System.Text.Json.Nodes;

namespace Infra.Tests.Infrastructure;

/// <summary>A sample setting the template provides differently (identity-based variants) or not at all.</summary>
public sealed record LocalOnlySetting(string Name, string Reason, IReadOnlyList<string> ProvidedAs, bool RequiresAll);

/// <summary>Reads the settings the app expects: local.settings.sample.json and infra/local-only-settings.json.</summary>
public static class AppSettingsSources
{
    /// <summary>The names under "Values" of local.settings.sample.json: every setting the app reads.</summary>
    public static IReadOnlyList<string> SampleSettingNames(string json)
    {
        var values = JsonNode.Parse(json)?["Values"]?.AsObject()
            ?? throw new InvalidOperationException("local.settings.sample.json has no \"Values\" object.");
        return values.Select(pair => pair.Key).ToArray();
    }

    public static IReadOnlyDictionary<string, LocalOnlySetting> LocalOnly(string json)
    {
        var settings = JsonNode.Parse(json)?["settings"]?.AsObject()
            ?? throw new InvalidOperationException("infra/local-only-settings.json has no \"settings\" object.");
        return settings.ToDictionary(
            pair => pair.Key,
            pair =>
            {
                var entry = pair.Value?.AsObject() ?? throw new JsonException($"'{pair.Key}' in local-only-settings.json is not an object.");
                var reason = (string?)entry["reason"];
                if (string.IsNullOrWhiteSpace(reason))
                {
                    throw new JsonException($"'{pair.Key}' in local-only-settings.json needs a \"reason\".");
                }

                var providedAs = (entry["providedAs"]?.AsArray() ?? []).Select(item => (string)item!).ToArray();
                var requires = (string?)entry["requires"] ?? "all";
                return new LocalOnlySetting(pair.Key, reason, providedAs, string.Equals(requires, "all", StringComparison.Ordinal));
            },
            StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>How a .NET configuration key is written as an app setting ("Jwt:Issuer" is "Jwt__Issuer").</summary>
    public static string ToAppSettingName(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);
}
