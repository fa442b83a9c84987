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
        workspace.RemoveResource("modules/role-assignments.bicep", "queueDataContributor");

        var problems = InfraRules.RoleAssignments(await workspace.SnapshotAsync(timeout.Token));

        var problem = Assert.Single(problems);
        Assert.Contains("No 'Storage Queue Data Contributor' role assignment", problem, StringComparison.Ordinal);
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
}
