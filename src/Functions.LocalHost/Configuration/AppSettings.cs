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

    public static AppSettings Load(string? localSettingsPath, IDictionary<string, string> explicitSettings) =>
        Load(localSettingsPath, explicitSettings, Environment.GetEnvironmentVariables());

    /// <summary>As <see cref="Load(string?, IDictionary{string, string})"/>, with the environment given (tests).</summary>
    public static AppSettings Load(string? localSettingsPath, IDictionary<string, string> explicitSettings, IDictionary environment)
    {
        ArgumentNullException.ThrowIfNull(explicitSettings);
        ArgumentNullException.ThrowIfNull(environment);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (localSettingsPath is not null)
        {
            foreach (var (key, value) in ReadLocalSettings(localSettingsPath))
            {
                values[key] = value;
            }
        }

        var fromFile = new HashSet<string>(values.Keys, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in environment)
        {
            var key = (string)entry.Key;
            var value = (string?)entry.Value ?? string.Empty;

            // Core Tools: an environment variable overrides local.settings.json only when it is not empty.
            if (value.Length > 0 || !fromFile.Contains(key))
            {
                values[key] = value;
            }
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

    /// <summary>
    /// A binding's connection setting, looked up as the real Storage extension does
    /// (<c>GetWebJobsConnectionStringSection</c>): <c>ConnectionStrings:AzureWebJobs&lt;name&gt;</c>, then
    /// <c>AzureWebJobs&lt;name&gt;</c>; only when neither exists, <c>ConnectionStrings:&lt;name&gt;</c>, then
    /// <c>&lt;name&gt;</c>. A setting that exists wins even when it is empty (the real host then fails to create the
    /// client), so its empty value is returned as it is, never skipped for a later form.
    /// </summary>
    public (string Setting, string Value)? ConnectionSetting(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string[] candidates = [$"ConnectionStrings:AzureWebJobs{name}", $"AzureWebJobs{name}", $"ConnectionStrings:{name}", name];
        foreach (var candidate in candidates)
        {
            if (Get(candidate) is { } value)
            {
                return (candidate, value);
            }
        }

        return null;
    }

    /// <summary>The value of <see cref="ConnectionSetting"/>, empty when the setting that wins is empty.</summary>
    public string? Connection(string name) => ConnectionSetting(name)?.Value;

    /// <summary>
    /// True when <c>AzureWebJobs.&lt;function&gt;.Disabled</c> (or <c>AzureWebJobs_&lt;function&gt;_Disabled</c>, the
    /// form Linux app settings allow) is <c>true</c> or <c>1</c>.
    /// </summary>
    public bool IsDisabled(string functionName) =>
        new[] { $"AzureWebJobs.{functionName}.Disabled", $"AzureWebJobs_{functionName}_Disabled" }
            .Select(Get)
            .Any(value => value is not null && (value.Trim() == "1" || (bool.TryParse(value, out var disabled) && disabled)));

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
