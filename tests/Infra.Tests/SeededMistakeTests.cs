using Infra.Tests.Infrastructure;

namespace Infra.Tests;

/// <summary>
/// Proves the checks fail on the mistakes they exist to catch: each test seeds one into a copy of infra/, compiles
/// it with the real Bicep CLI, and expects the corresponding check to name it. (The fourth kind, a setting the
/// template does not provide, is in AppSettingsTests: it needs no compilation.)
/// </summary>
public sealed class SeededMistakeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task SharedKeyAccess_WhenSeededAsEnabled_ShouldFailTheStorageCheck()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("modules/storage.bicep", "allowSharedKeyAccess: false", "allowSharedKeyAccess: true");

        var problems = InfraRules.SharedKeyAccessDisabled(await workspace.SnapshotAsync(timeout.Token));

        Assert.Contains(problems, problem => problem.Contains("allowSharedKeyAccess must be false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RoleAssignments_WhenOneIsDropped_ShouldFailNamingTheMissingRole()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        // The poison queue forgotten: the host could not move a failing message there.
        workspace.Replace("modules/role-assignments.bicep", "for (queueName, i) in queueNames:", "for (queueName, i) in take(queueNames, 1):");

        var problems = InfraRules.RoleAssignments(await workspace.SnapshotAsync(timeout.Token));

        var problem = Assert.Single(problems);
        Assert.Contains("No 'Storage Queue Data Contributor' role assignment", problem, StringComparison.Ordinal);
        Assert.EndsWith("/queueServices/default/queues/payments-poison.", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataRoles_WhenATableRoleIsSeededOnTheAccount_ShouldFailNamingTheStorageAccount()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("modules/role-assignments.bicep", "    scope: tables[i]\n", "    scope: storage\n");

        var snapshot = await workspace.SnapshotAsync(timeout.Token);
        var problems = InfraRules.DataRolesScopedNarrowly(snapshot);

        Assert.Equal(InfraRules.AppStorageNames().Tables.Count, problems.Count);
        Assert.All(problems, problem => Assert.Contains(
            $"Role {InfraRules.TableDataContributor.Id} is assigned on the storage account st", problem, StringComparison.Ordinal));
        Assert.Contains(InfraRules.RoleAssignments(snapshot), problem => problem.StartsWith("No 'Storage Table Data Contributor'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BicepCheck_WhenAPropertyIsMisspelled_ShouldFailOnTheCompilerWarning()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("modules/function-app.bicep", "    httpsOnly: true", "    httpsOnyl: true");

        var (template, problems) = await workspace.BuildAsync(timeout.Token);

        // The compiler still writes a template (it exits 0 on warnings): only the Warning line gives it away.
        Assert.NotNull(template);
        Assert.Contains(problems, problem => problem.Contains("Warning", StringComparison.Ordinal)
            && problem.Contains("\"httpsOnyl\" is not allowed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrivateNetworking_WhenStorageIsSeededAsPublic_ShouldFailNamingPublicNetworkAccess()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("modules/storage.bicep", "privateNetworking ? 'Disabled' : 'Enabled'", "'Enabled'");

        var problems = InfraRules.PrivateNetworking(await workspace.SnapshotAsync(timeout.Token));

        Assert.Contains(problems, problem => problem.Contains("publicNetworkAccess must be 'Disabled'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrivateNetworking_WhenTheQueueEndpointIsDropped_ShouldFailNamingTheQueueService()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("modules/network.bicep", "  'queue'\n", string.Empty);

        var problems = InfraRules.PrivateNetworking(await workspace.SnapshotAsync(timeout.Token));

        var problem = Assert.Single(problems);
        Assert.Contains("No private endpoint for the storage account's 'queue' service", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParameterBounds_WhenClockSkewIsSeededAbove300_ShouldFailNamingTheParameter()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("main.bicep", "@maxValue(300)\nparam jwtClockSkewSeconds", "@maxValue(600)\nparam jwtClockSkewSeconds");

        var (template, _) = await workspace.BuildAsync(timeout.Token);

        var problem = Assert.Single(InfraRules.ParameterBoundsMatchApp(template!));
        Assert.Contains("jwtClockSkewSeconds (Jwt:ClockSkewSeconds) allows [0, 600], the app accepts [0, 300]", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestBodyLimit_WhenTheSettingIsDropped_ShouldFail()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var workspace = InfraWorkspace.CopyOfRepository();
        workspace.Replace("main.bicep", "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(", "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT_OFF: string(");

        var problems = InfraRules.RequestBodyLimit(await workspace.SnapshotAsync(timeout.Token));

        Assert.Contains(problems, problem => problem.Contains("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must equal", StringComparison.Ordinal));
    }
}
