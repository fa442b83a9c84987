using System.Text.Json.Nodes;

namespace Infra.Tests.Infrastructure;

/// <summary>The resources `bicep snapshot` predicts a deployment of main.bicepparam creates.</summary>
public sealed class TemplateSnapshot(JsonObject document)
{
    public const string FunctionAppType = "Microsoft.Web/sites";
    public const string IdentityType = "Microsoft.ManagedIdentity/userAssignedIdentities";

    public IReadOnlyList<JsonObject> Resources { get; } =
        (document["predictedResources"]?.AsArray() ?? []).OfType<JsonObject>().ToArray();

    public IEnumerable<JsonObject> OfType(string type) =>
        Resources.Where(resource => string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The one resource of a type; a template with none or several is itself a finding.</summary>
    public JsonObject One(string type)
    {
        var matches = OfType(type).ToArray();
        return matches.Length == 1
            ? matches[0]
            : throw new InvalidOperationException($"Expected exactly one {type} in the template, found {matches.Length}.");
    }

    public JsonObject FunctionApp => One(FunctionAppType);

    /// <summary>The expression ARM resolves at deployment to a property of the user-assigned identity.</summary>
    public string IdentityReference(string property)
    {
        var identity = One(IdentityType);
        return $"[reference('{identity["id"]}', '{identity["apiVersion"]}').{property}]";
    }

    public string IdentityId => (string)One(IdentityType)["id"]!;

    /// <summary>The function app's app settings by name (names are case-insensitive in App Service).</summary>
    public IReadOnlyDictionary<string, string?> AppSettings =>
        (FunctionApp["properties"]?["siteConfig"]?["appSettings"]?.AsArray() ?? [])
        .OfType<JsonObject>()
        .ToDictionary(setting => (string)setting["name"]!, setting => (string?)setting["value"], StringComparer.OrdinalIgnoreCase);
}
