using System.Collections;
using System.Text.Json;

namespace Functions.LocalHost.Configuration;

/// <summary>
/// The settings the app sees, merged as Core Tools merges them: local.settings.json <c>Values</c>, then the process
/// environment (which wins), then explicit settings (which win over both). They become the worker's environment.
/// </summary>
internal sealed class AppSettings
{
    private readonly Dictionary<string, string> _values;

    private AppSettings(Dictionary<string, string> values) => _values = values;

    /// <summary>Everything the worker process gets as its environment.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    public static AppSettings Load(string? localSettingsPath, IDictionary<string, string> explicitSettings)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (localSettingsPath is not null)
        {
            foreach (var (key, value) in ReadLocalSettings(localSettingsPath))
            {
                values[key] = value;
            }
        }

        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            values[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        foreach (var (key, value) in explicitSettings)
        {
            values[key] = value;
        }

        return new AppSettings(values);
    }

    /// <summary>A setting by name, as the .NET configuration system finds it: case-insensitive, ':' or '__' as separator.</summary>
    public string? Get(string name)
    {
        if (_values.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var alternative = name.Replace(":", "__", StringComparison.Ordinal);
        foreach (var (key, value) in _values)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(key, alternative, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>True when some setting lives under <paramref name="prefix"/> as a section (identity-based connections).</summary>
    public bool HasSection(string prefix) =>
        _values.Keys.Any(key =>
            key.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase) ||
            key.StartsWith(prefix + "__", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Replaces each <c>%Name%</c> with the setting's value, as the real host resolves binding properties. A missing
    /// setting is an error naming the setting, never an empty string.
    /// </summary>
    public string Resolve(string expression, string context)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var result = new System.Text.StringBuilder();
        var position = 0;
        while (position < expression.Length)
        {
            var start = expression.IndexOf('%', position);
            if (start < 0)
            {
                result.Append(expression, position, expression.Length - position);
                break;
            }

            var end = expression.IndexOf('%', start + 1);
            if (end < 0)
            {
                throw new InvalidOperationException(
                    $"{context}: '{expression}' has an unclosed '%'. Write %SettingName% to use a setting.");
            }

            result.Append(expression, position, start - position);
            var name = expression[(start + 1)..end];
            var value = Get(name) ?? throw new InvalidOperationException(
                $"{context}: the setting '{name}' used in '{expression}' is not set. Add it to local.settings.json " +
                "Values, the environment, or the host's settings.");
            result.Append(value);
            position = end + 1;
        }

        return result.ToString();
    }

    private static List<KeyValuePair<string, string>> ReadLocalSettings(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        if (!document.RootElement.TryGetProperty(nameof(Values), out var valuesElement) ||
            valuesElement.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return valuesElement.EnumerateObject()
            .Select(property => KeyValuePair.Create(property.Name, property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString() ?? string.Empty,
                JsonValueKind.Null => string.Empty,
                _ => property.Value.GetRawText(),
            }))
            .ToList();
    }
}
