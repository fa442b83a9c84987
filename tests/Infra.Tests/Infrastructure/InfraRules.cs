using System.Reflection;
using System.Text.Json.Nodes;
using Idempotency.Tables;
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

    public const string TableType = "Microsoft.Storage/storageAccounts/tableServices/tables";
    public const string QueueType = "Microsoft.Storage/storageAccounts/queueServices/queues";
    public const string ContainerType = "Microsoft.Storage/storageAccounts/blobServices/containers";
    public const string AppInsightsType = "Microsoft.Insights/components";

    /// <summary>The Functions host's own blob containers (leases and timer status, secrets).</summary>
    public static readonly IReadOnlyList<string> HostContainers = ["azure-webjobs-hosts", "azure-webjobs-secrets"];

    /// <summary>The Flex Consumption deployment package's container.</summary>
    public const string DeploymentContainer = "app-package";

    /// <summary>A built-in role: its display name and role definition id.</summary>
    public sealed record Role(string Name, string Id);

    public static readonly Role TableDataContributor = new("Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3");
    public static readonly Role QueueDataContributor = new("Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88");
    public static readonly Role BlobDataOwner = new("Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b");
    public static readonly Role BlobDataContributor = new("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe");
    public static readonly Role MonitoringMetricsPublisher = new("Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb");

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

    /// <summary>
    /// Every role assignment the identity needs, each on the narrowest resource: each table and queue the template
    /// creates, each of the host's containers, the deployment container, and the Application Insights component.
    /// </summary>
    public static IReadOnlyList<(Role Role, JsonObject Scope)> RequiredRoleAssignments(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var containers = snapshot.OfType(ContainerType).ToArray();
        JsonObject[] Containers(Func<string, bool> named) => containers.Where(c => named(LastName(c))).ToArray();
        return snapshot.OfType(TableType).Select(table => (TableDataContributor, table))
            .Concat(snapshot.OfType(QueueType).Select(queue => (QueueDataContributor, queue)))
            .Concat(Containers(HostContainers.Contains).Select(container => (BlobDataOwner, container)))
            .Concat(Containers(name => name == DeploymentContainer).Select(container => (BlobDataContributor, container)))
            .Concat(snapshot.OfType(AppInsightsType).Select(insights => (MonitoringMetricsPublisher, insights)))
            .ToArray();
    }

    public static IReadOnlyList<string> RoleAssignments(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var principal = snapshot.IdentityReference("principalId");
        var assignments = snapshot.OfType("Microsoft.Authorization/roleAssignments").ToArray();
        var problems = new List<string>();
        foreach (var (role, scope) in RequiredRoleAssignments(snapshot))
        {
            var scopeId = (string)scope["id"]!;
            var expectedName = $"[guid('{scopeId}', {principal[1..^1]}, '{role.Id}')]";
            var assignment = assignments.FirstOrDefault(a =>
                ((string?)a["properties"]?["roleDefinitionId"])?.EndsWith("/roleDefinitions/" + role.Id, StringComparison.OrdinalIgnoreCase) == true
                && AssignmentScope(a) == scopeId);
            if (assignment is null)
            {
                problems.Add($"No '{role.Name}' role assignment ({role.Id}) on {scopeId}.");
                continue;
            }

            if (!string.Equals((string?)assignment["properties"]?["principalId"], principal, StringComparison.Ordinal))
            {
                problems.Add($"'{role.Name}' on {LastName(scope)} is assigned to {assignment["properties"]?["principalId"]}, not to the app's identity {principal}.");
            }

            if (!string.Equals((string?)assignment["properties"]?["principalType"], "ServicePrincipal", StringComparison.Ordinal))
            {
                problems.Add($"'{role.Name}' on {LastName(scope)} must set principalType ServicePrincipal (a new identity may not have replicated yet).");
            }

            if (!string.Equals((string?)assignment["name"], expectedName, StringComparison.Ordinal))
            {
                problems.Add($"'{role.Name}' on {LastName(scope)} must be named guid(scope, principalId, roleDefinitionId); it is {assignment["name"]}.");
            }
        }

        return problems;
    }

    /// <summary>
    /// No data role on the storage account (or anything wider): every role assignment is scoped to a table, queue or
    /// blob container the template creates, except Monitoring Metrics Publisher on the Application Insights component.
    /// A role on the account would let a code-execution bug list, create or rewrite anything in it (the deployment
    /// package of other apps, the host's secrets of another app, tables the app never uses).
    /// </summary>
    public static IReadOnlyList<string> DataRolesScopedNarrowly(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var narrowScopes = snapshot.OfType(TableType).Concat(snapshot.OfType(QueueType)).Concat(snapshot.OfType(ContainerType))
            .Select(resource => (string)resource["id"]!)
            .ToHashSet(StringComparer.Ordinal);
        var insights = snapshot.OfType(AppInsightsType).Select(resource => (string)resource["id"]!).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var assignment in snapshot.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var scope = AssignmentScope(assignment);
            var roleId = ((string?)assignment["properties"]?["roleDefinitionId"])?.Split('/')[^1];
            if (scope is not null && narrowScopes.Contains(scope))
            {
                continue;
            }

            if (scope is not null && insights.Contains(scope) && string.Equals(roleId, MonitoringMetricsPublisher.Id, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var where = scope switch
            {
                null => "the resource group (or wider)",
                _ when scope.EndsWith("/providers/Microsoft.Storage/storageAccounts/" + scope.Split('/')[^1], StringComparison.Ordinal) => "the storage account " + scope.Split('/')[^1],
                _ => scope,
            };
            problems.Add($"Role {roleId} is assigned on {where}: scope every data role to the one table, queue or blob container " +
                "the template creates for it (infra/modules/role-assignments.bicep), never the account.");
        }

        return problems;
    }

    /// <summary>The resource id an assignment is scoped to (the first argument of its extensionResourceId), or null when it is not an extension of a resource.</summary>
    public static string? AssignmentScope(JsonObject assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        const string prefix = "[extensionResourceId('";
        var id = (string?)assignment["id"];
        if (id is null || !id.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var end = id.IndexOf("', 'Microsoft.Authorization/roleAssignments'", StringComparison.Ordinal);
        return end < 0 ? null : id[prefix.Length..end];
    }

    private static string LastName(JsonObject resource) => ((string)resource["name"]!).Split('/')[^1];

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

    /// <summary>The storage services the app and its host use, each reached through a private endpoint.</summary>
    public static readonly IReadOnlyList<string> PrivateStorageServices = ["blob", "queue", "table"];

    /// <summary>
    /// Storage refuses internet traffic, and each service the app or host uses has a private endpoint on the account
    /// with a private DNS zone, while the function app sends its traffic through a virtual network subnet.
    /// </summary>
    public static IReadOnlyList<string> PrivateNetworking(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var problems = new List<string>();
        var account = snapshot.One("Microsoft.Storage/storageAccounts");
        var accountId = (string?)account["id"];
        if ((string?)account["properties"]?["publicNetworkAccess"] != "Disabled")
        {
            problems.Add($"Storage account {account["name"]}: publicNetworkAccess must be 'Disabled' (it is '{account["properties"]?["publicNetworkAccess"]}'): the app reaches it through private endpoints.");
        }

        if ((string?)account["properties"]?["networkAcls"]?["defaultAction"] != "Deny")
        {
            problems.Add($"Storage account {account["name"]}: networkAcls.defaultAction must be 'Deny'.");
        }

        var endpoints = snapshot.OfType("Microsoft.Network/privateEndpoints").ToArray();
        var zoneGroups = snapshot.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups").ToArray();
        foreach (var service in PrivateStorageServices)
        {
            var endpoint = endpoints.FirstOrDefault(e => (e["properties"]?["privateLinkServiceConnections"]?.AsArray() ?? []).Any(c =>
                (string?)c?["properties"]?["privateLinkServiceId"] == accountId
                && (c?["properties"]?["groupIds"]?.AsArray() ?? []).Select(g => (string?)g).SequenceEqual([service])));
            if (endpoint is null)
            {
                problems.Add($"No private endpoint for the storage account's '{service}' service.");
                continue;
            }

            var zone = zoneGroups.FirstOrDefault(g => ((string?)g["name"])?.StartsWith((string)endpoint["name"]! + "/", StringComparison.Ordinal) == true);
            var zoneIds = (zone?["properties"]?["privateDnsZoneConfigs"]?.AsArray() ?? []).Select(c => (string?)c?["properties"]?["privateDnsZoneId"] ?? "");
            if (!zoneIds.Any(id => id.Contains("privatelink", StringComparison.Ordinal) && id.Contains($"'{service}'", StringComparison.Ordinal)))
            {
                problems.Add($"The '{service}' private endpoint has no privatelink.{service} private DNS zone: the app would resolve the public address.");
            }
        }

        if (string.IsNullOrEmpty((string?)snapshot.FunctionApp["properties"]?["virtualNetworkSubnetId"]))
        {
            problems.Add("The function app has no virtualNetworkSubnetId: it cannot reach storage's private endpoints.");
        }

        return problems;
    }

    /// <summary>
    /// Every integer parameter documented as an app setting ("Section:Name - ...") has exactly the bounds the app
    /// accepts at start ([Range] on its options, or the validator's constant), so a deployment cannot pass Bicep and
    /// then fail to start.
    /// </summary>
    public static IReadOnlyList<string> ParameterBoundsMatchApp(JsonObject template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var problems = new List<string>();
        var checkedCount = 0;
        foreach (var (name, parameter) in template["parameters"]?.AsObject() ?? [])
        {
            if ((string?)parameter?["type"] != "int" || (string?)parameter?["metadata"]?["description"] is not { } description)
            {
                continue;
            }

            var setting = description.Split(' ')[0];
            if (AppBounds(setting) is not { } bounds)
            {
                continue;
            }

            checkedCount++;
            var min = parameter?["minValue"]?.GetValue<long>();
            var max = parameter?["maxValue"]?.GetValue<long>();
            if (min != bounds.Min || max != bounds.Max)
            {
                problems.Add($"Parameter {name} ({setting}) allows [{min}, {max}], the app accepts [{bounds.Min}, {bounds.Max}]: set @minValue({bounds.Min}) and @maxValue({bounds.Max}).");
            }
        }

        if (checkedCount == 0)
        {
            problems.Add("No integer parameter is documented as an app setting ('Section:Name - ...'); nothing was compared.");
        }

        return problems;
    }

    private static (long Min, long Max)? AppBounds(string setting)
    {
        if (setting == "Jwt:ClockSkewSeconds")
        {
            return (0, Payments.Core.Auth.JwtOptionsValidator.MaxClockSkewSeconds);
        }

        var parts = setting.Split(':');
        var type = parts.Length != 2 ? null : parts[0] switch
        {
            "Idempotency" => typeof(Idempotency.Tables.IdempotencyOptions),
            "Payments" => typeof(Payments.Core.Payments.PaymentsOptions),
            _ => null,
        };
        var range = type?.GetProperty(parts[1])?.GetCustomAttribute<System.ComponentModel.DataAnnotations.RangeAttribute>();
        return range is null ? null : (Convert.ToInt64(range.Minimum, System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt64(range.Maximum, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The host buffers a body before the app sees it: its limit must be what the API accepts, not 100 MB.</summary>
    public static IReadOnlyList<string> RequestBodyLimit(TemplateSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var settings = snapshot.AppSettings;
        return settings.TryGetValue("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT", out var limit) && limit == settings.GetValueOrDefault("Idempotency__MaxRequestBodyBytes")
            ? []
            : [$"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must equal Idempotency__MaxRequestBodyBytes ({settings.GetValueOrDefault("Idempotency__MaxRequestBodyBytes")}); it is '{limit}'."];
    }

    private static string[] ChildNames(TemplateSnapshot snapshot, string type) =>
        snapshot.OfType(type).Select(resource => ((string)resource["name"]!).Split('/')[^1]).ToArray();
}
