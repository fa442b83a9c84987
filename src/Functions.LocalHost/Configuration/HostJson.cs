using System.Globalization;
using System.Text.Json;

namespace Functions.LocalHost.Configuration;

/// <summary>The parts of host.json this host honours, with the real host's defaults where host.json is silent.</summary>
internal sealed record HostJson(string RoutePrefix, QueueOptions Queues, TimeSpan? FunctionTimeout, IReadOnlyDictionary<string, string> CustomHeaders)
{
    /// <summary>
    /// The real host's default when host.json sets no functionTimeout on a dedicated or Premium plan (ScriptHostOptions:
    /// 30 minutes); Consumption plans use 5 minutes. "-1" means unlimited.
    /// </summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(30);

    public static HostJson Load(string appDirectory)
    {
        var path = Path.Combine(appDirectory, "host.json");
        if (!File.Exists(path))
        {
            return new HostJson("api", QueueOptions.Defaults, DefaultFunctionTimeout, new Dictionary<string, string>());
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var extensions = Property(document.RootElement, "extensions");
        var http = extensions is { } e ? Property(e, "http") : null;
        var routePrefix = http is { } h && Property(h, "routePrefix") is { ValueKind: JsonValueKind.String } prefix
            ? prefix.GetString()!.Trim('/')
            : "api";
        var queues = extensions is { } ex && Property(ex, "queues") is { ValueKind: JsonValueKind.Object } q
            ? QueueOptions.From(q, path)
            : QueueOptions.Defaults;
        // extensions.http.customHeaders: added to every HTTP response, as the real host's CustomHttpHeadersMiddleware does.
        var customHeaders = http is { } hh && Property(hh, "customHeaders") is { ValueKind: JsonValueKind.Object } headers
            ? headers.EnumerateObject().ToDictionary(header => header.Name, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>();
        return new HostJson(routePrefix, queues, FunctionTimeoutFrom(document.RootElement, path), customHeaders);
    }

    private static TimeSpan? FunctionTimeoutFrom(JsonElement root, string path) =>
        Property(root, "functionTimeout") switch
        {
            null or { ValueKind: JsonValueKind.Null } => DefaultFunctionTimeout,
            { ValueKind: JsonValueKind.String } text when text.GetString() == "-1" => null,
            { ValueKind: JsonValueKind.String } text when TimeSpan.TryParse(text.GetString(), CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero => value,
            _ => throw new InvalidOperationException($"{path}: functionTimeout must be a duration such as \"00:05:00\", or \"-1\" for none."),
        };

    /// <summary>host.json keys are case-insensitive in the real host (it goes through the configuration binder).</summary>
    internal static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}

/// <summary>host.json <c>extensions.queues</c>.</summary>
internal sealed record QueueOptions(
    int BatchSize,
    int NewBatchThreshold,
    TimeSpan MaxPollingInterval,
    TimeSpan VisibilityTimeout,
    int MaxDequeueCount,
    bool Base64Encoding)
{
    private const int MaxBatchSize = 32;

    /// <summary>
    /// The real host's defaults. maxPollingInterval is 1 minute in Azure and 2 seconds when the environment is
    /// Development, which is what Core Tools runs as.
    /// </summary>
    public static QueueOptions Defaults { get; } = new(
        BatchSize: 16,
        NewBatchThreshold: DefaultThreshold(16),
        MaxPollingInterval: TimeSpan.FromSeconds(2),
        VisibilityTimeout: TimeSpan.Zero,
        MaxDequeueCount: 5,
        Base64Encoding: true);

    private static int DefaultThreshold(int batchSize) => batchSize / 2 * Environment.ProcessorCount;

    public static QueueOptions From(JsonElement queues, string path)
    {
        var batchSize = Int(queues, "batchSize", path) ?? Defaults.BatchSize;
        if (batchSize is < 1 or > MaxBatchSize)
        {
            throw new InvalidOperationException(
                $"{path}: extensions.queues.batchSize is {batchSize}; it must be between 1 and {MaxBatchSize}.");
        }

        var maxDequeueCount = Int(queues, "maxDequeueCount", path) ?? Defaults.MaxDequeueCount;
        if (maxDequeueCount < 1)
        {
            throw new InvalidOperationException(
                $"{path}: extensions.queues.maxDequeueCount is {maxDequeueCount}; it must be 1 or more.");
        }

        var threshold = Int(queues, "newBatchThreshold", path) ?? DefaultThreshold(batchSize);
        var encoding = HostJson.Property(queues, "messageEncoding") is { ValueKind: JsonValueKind.String } text
            ? text.GetString()!
            : "base64";
        var base64 = encoding.ToUpperInvariant() switch
        {
            "BASE64" => true,
            "NONE" => false,
            _ => throw new InvalidOperationException(
                $"{path}: extensions.queues.messageEncoding is '{encoding}'; use 'base64' (the default) or 'none'."),
        };

        return new QueueOptions(
            batchSize,
            threshold,
            Duration(queues, "maxPollingInterval", path) ?? Defaults.MaxPollingInterval,
            Duration(queues, "visibilityTimeout", path) ?? Defaults.VisibilityTimeout,
            maxDequeueCount,
            base64);
    }

    private static int? Int(JsonElement section, string name, string path) =>
        HostJson.Property(section, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } number when number.TryGetInt32(out var value) => value,
            { ValueKind: JsonValueKind.String } text when int.TryParse(text.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) => value,
            _ => throw new InvalidOperationException($"{path}: extensions.queues.{name} must be a whole number."),
        };

    private static TimeSpan? Duration(JsonElement section, string name, string path) =>
        HostJson.Property(section, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } text when TimeSpan.TryParse(text.GetString(), CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.Zero => value,
            _ => throw new InvalidOperationException(
                $"{path}: extensions.queues.{name} must be a duration such as \"00:00:02\"."),
        };
}
