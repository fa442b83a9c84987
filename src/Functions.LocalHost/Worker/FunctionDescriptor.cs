using System.Text.Json;
using Functions.LocalHost.Grpc.Messages;

namespace Functions.LocalHost.Worker;

internal enum TriggerKind
{
    Http,
    Queue,
    Timer,
}

/// <summary>One binding as the worker described it: type and direction, and its raw JSON properties.</summary>
internal sealed record BindingDescriptor(string Name, string Type, BindingInfo.Types.Direction Direction, JsonElement Properties)
{
    public string? GetString(string property) =>
        Configuration.HostJson.Property(Properties, property) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public bool GetBool(string property, bool defaultValue = false) =>
        Configuration.HostJson.Property(Properties, property) switch
        {
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { ValueKind: JsonValueKind.String } text when bool.TryParse(text.GetString(), out var parsed) => parsed,
            { ValueKind: JsonValueKind.String } => false,
            _ => defaultValue,
        };

    public IReadOnlyList<string> GetStrings(string property) =>
        Configuration.HostJson.Property(Properties, property) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.String).Select(item => item.GetString()!).ToList()
            : [];
}

/// <summary>A function the worker indexed, with its one trigger and the output binding that carries an HTTP response.</summary>
internal sealed record FunctionDescriptor(
    string Name,
    string FunctionId,
    RpcFunctionMetadata Metadata,
    TriggerKind Kind,
    BindingDescriptor Trigger,
    BindingDescriptor? HttpOutput)
{
    private static readonly string[] SupportedOutputTypes = ["http"];

    /// <summary>
    /// Reads the worker's metadata and refuses, naming function and binding, anything this host cannot run
    /// faithfully: silently ignoring a binding would make a test pass locally and the app fail in Azure.
    /// </summary>
    public static FunctionDescriptor From(RpcFunctionMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var bindings = metadata.RawBindings.Select(raw => Parse(metadata.Name, raw)).ToList();
        BindingDescriptor? trigger = null;
        BindingDescriptor? httpOutput = null;
        TriggerKind kind = default;
        foreach (var binding in bindings)
        {
            if (binding.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase))
            {
                kind = binding.Type.ToUpperInvariant() switch
                {
                    "HTTPTRIGGER" => TriggerKind.Http,
                    "QUEUETRIGGER" => TriggerKind.Queue,
                    "TIMERTRIGGER" => TriggerKind.Timer,
                    _ => throw Unsupported(metadata.Name, binding, "trigger"),
                };
                if (binding.GetBool("SupportsDeferredBinding") || DeferredBinding(binding))
                {
                    throw new InvalidOperationException(
                        $"Function '{metadata.Name}': trigger binding '{binding.Name}' ({binding.Type}) binds to an SDK type " +
                        "(deferred binding), which the local host does not provide. Bind the trigger to string, byte[] or a POCO.");
                }

                trigger = binding;
            }
            else if (binding.Direction != BindingInfo.Types.Direction.In &&
                     SupportedOutputTypes.Contains(binding.Type, StringComparer.OrdinalIgnoreCase))
            {
                httpOutput = binding;
            }
            else
            {
                throw Unsupported(metadata.Name, binding, binding.Direction == BindingInfo.Types.Direction.In ? "input binding" : "output binding");
            }
        }

        if (trigger is null)
        {
            throw new InvalidOperationException(
                $"Function '{metadata.Name}' has no trigger binding in the metadata the worker sent; every function needs exactly one.");
        }

        if (httpOutput is not null && kind != TriggerKind.Http)
        {
            throw Unsupported(metadata.Name, httpOutput, "output binding (an HTTP response without an HTTP trigger)");
        }

        return new FunctionDescriptor(metadata.Name, metadata.FunctionId, metadata, kind, trigger, httpOutput);
    }

    private static bool DeferredBinding(BindingDescriptor binding) =>
        Configuration.HostJson.Property(binding.Properties, "properties") is { ValueKind: JsonValueKind.Object } properties &&
        Configuration.HostJson.Property(properties, "SupportsDeferredBinding") is { } flag &&
        (flag.ValueKind == JsonValueKind.True ||
         (flag.ValueKind == JsonValueKind.String && bool.TryParse(flag.GetString(), out var value) && value));

    private static InvalidOperationException Unsupported(string function, BindingDescriptor binding, string role) =>
        new($"Function '{function}': {role} '{binding.Name}' of type '{binding.Type}' is not supported by the local host " +
            "(it runs httpTrigger, queueTrigger and timerTrigger functions with HTTP responses). Run this app with the " +
            "Azure Functions host, or remove the binding.");

    private static BindingDescriptor Parse(string function, string raw)
    {
        using var document = JsonDocument.Parse(raw);
        var element = document.RootElement.Clone();
        var name = Configuration.HostJson.Property(element, "name")?.GetString() ?? string.Empty;
        var type = Configuration.HostJson.Property(element, "type")?.GetString()
            ?? throw new InvalidOperationException($"Function '{function}': binding '{name}' has no type in the worker's metadata.");
        var direction = (Configuration.HostJson.Property(element, "direction")?.GetString() ?? "in").ToUpperInvariant() switch
        {
            "OUT" => BindingInfo.Types.Direction.Out,
            "INOUT" => BindingInfo.Types.Direction.Inout,
            _ => BindingInfo.Types.Direction.In,
        };
        return new BindingDescriptor(name, type, direction, element);
    }
}
