using System.Reflection;
using Payments.Core.Storage;

namespace Infra.Tests.Infrastructure;

/// <summary>
/// What the compiled template must say, as rules that return their findings (empty: the rule holds). The tests
/// run them on the real template, and on copies with a seeded mistake to prove each rule can fail.
/// </summary>
public static class InfraRules
{
    public const string SettingsFixHint =
        "Add it to the function app's app settings in infra/main.bicep (from a parameter), or, if it only makes sense " +
        "locally, list it with a reason in infra/local-only-settings.json.";

    /// <summary>Built-in role definition ids by role name, and the resource type each is assigned on.</summary>
    public static readonly IReadOnlyDictionary<string, (string RoleDefinitionId, string ScopeType)> RequiredRoles =
        new Dictionary<string, (string, string)>
        {
            ["Storage Blob Data Owner"] = ("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Microsoft.Storage/storageAccounts"),
            ["Storage Queue Data Contributor"] = ("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Microsoft.Storage/storageAccounts"),
            ["Storage Table Data Contributor"] = ("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Microsoft.Storage/storageAccounts"),
            ["Monitoring Metrics Publisher"] = ("3913510d-42f4-4e42-8a64-420c390055eb", "Microsoft.Insights/components"),
        };

    public static IReadOnlyList<string> SharedKeyAccessDisabled(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var accounts = snapshot.OfType("Microsoft.Storage/storageAccounts").ToArray();
        if (accounts.Length == 0)
        {
            return ["The template creates no storage account."];
        }

        return accounts
            .Where(account => account["properties"]?["allowSharedKeyAccess"]?.GetValue<bool>() != false)
            .Select(account => $"Storage account {account["name"]}: allowSharedKeyAccess must be false " +
                "(the app and the host connect with the managed identity; a key would bypass Microsoft Entra ID).")
            .ToArray();
    }

    public static IReadOnlyList<string> RoleAssignments(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var principal = snapshot.IdentityReference("principalId");
        var assignments = snapshot.OfType("Microsoft.Authorization/roleAssignments").ToArray();
        var problems = new List<string>();
        foreach (var (roleName, (roleId, scopeType)) in RequiredRoles)
        {
            var scope = snapshot.One(scopeType);
            var scopeId = (string)scope["id"]!;
            var expectedName = $"[guid('{scopeId}', {principal[1..^1]}, '{roleId}')]";
            var assignment = assignments.FirstOrDefault(a =>
                ((string?)a["properties"]?["roleDefinitionId"])?.EndsWith("/roleDefinitions/" + roleId, StringComparison.OrdinalIgnoreCase) == true
                && ((string?)a["id"])?.StartsWith($"[extensionResourceId('{scopeId}',", StringComparison.Ordinal) == true);
            if (assignment is null)
            {
                problems.Add($"No '{roleName}' role assignment ({roleId}) on {scopeId}.");
                continue;
            }

            if (!string.Equals((string?)assignment["properties"]?["principalId"], principal, StringComparison.Ordinal))
            {
                problems.Add($"'{roleName}' is assigned to {assignment["properties"]?["principalId"]}, not to the app's identity {principal}.");
            }

            if (!string.Equals((string?)assignment["properties"]?["principalType"], "ServicePrincipal", StringComparison.Ordinal))
            {
                problems.Add($"'{roleName}' must set principalType ServicePrincipal (a new identity may not have replicated yet).");
            }

            if (!string.Equals((string?)assignment["name"], expectedName, StringComparison.Ordinal))
            {
                problems.Add($"'{roleName}' must be named guid(scope, principalId, roleDefinitionId); it is {assignment["name"]}.");
            }
        }

        return problems;
    }

    /// <summary>
    /// Every sample setting (':' written '__') is an app setting, except the documented local-only ones, which must
    /// be replaced by their identity-based or Azure counterparts.
    /// </summary>
    public static IReadOnlyList<string> AppSettingsCoverSample(
        TemplateSnapshot snapshot, IReadOnlyList<string> sampleSettings, IReadOnlyDictionary<string, LocalOnlySetting> localOnly)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(sampleSettings);
        ArgumentNullException.ThrowIfNull(localOnly);
        var provided = snapshot.AppSettings;
        // Alternatives ("requires": "any", e.g. Jwt__Authority or Jwt__JwksUri): the template writes the one a
        // deployment configures, so a sample setting naming another member of a satisfied group is provided too.
        var alternatives = localOnly.Values
            .Where(local => !local.RequiresAll && local.ProvidedAs.Any(provided.ContainsKey))
            .SelectMany(local => local.ProvidedAs)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var name in sampleSettings)
        {
            if (localOnly.TryGetValue(name, out var local))
            {
                var present = local.ProvidedAs.Where(provided.ContainsKey).ToArray();
                var satisfied = local.RequiresAll ? present.Length == local.ProvidedAs.Count : present.Length > 0;
                if (!satisfied)
                {
                    problems.Add($"'{name}' is local-only, and in Azure the template must provide " +
                        $"{(local.RequiresAll ? "all" : "one")} of: {string.Join(", ", local.ProvidedAs)}; " +
                        $"missing: {string.Join(", ", local.ProvidedAs.Except(present))}.");
                }

                continue;
            }

            var appSetting = AppSettingsSources.ToAppSettingName(name);
            if (!provided.ContainsKey(appSetting) && !alternatives.Contains(appSetting))
            {
                problems.Add($"local.settings.sample.json sets '{name}', but the function app has no app setting '{appSetting}'. {SettingsFixHint}");
            }
        }

        return problems;
    }

    /// <summary>The names the app uses by default (StorageOptions), so the template cannot drift from the code.</summary>
    public static (IReadOnlyList<string> Tables, IReadOnlyList<string> Queues) AppStorageNames()
    {
        var options = new StorageOptions();
        var properties = typeof(StorageOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.PropertyType == typeof(string))
            .ToArray();
        string[] Values(string suffix) => properties
            .Where(property => property.Name.EndsWith(suffix, StringComparison.Ordinal))
            .Select(property => (string)property.GetValue(options)!)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        return (Values("Table"), Values("Queue"));
    }

    public static IReadOnlyList<string> StorageEntitiesExist(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var (tables, queues) = AppStorageNames();
        var createdTables = ChildNames(snapshot, "Microsoft.Storage/storageAccounts/tableServices/tables");
        var createdQueues = ChildNames(snapshot, "Microsoft.Storage/storageAccounts/queueServices/queues");
        return tables.Except(createdTables).Select(name => $"The template does not create the table '{name}' (StorageOptions).")
            .Concat(queues.Except(createdQueues).Select(name => $"The template does not create the queue '{name}' (StorageOptions)."))
            .ToArray();
    }

    private static string[] ChildNames(TemplateSnapshot snapshot, string type) =>
        snapshot.OfType(type).Select(resource => ((string)resource["name"]!).Split('/')[^1]).ToArray();
}
