using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class RoleAssignmentTests(InfraFixture fixture)
{
    [Fact]
    public void RoleAssignments_WhenCompiled_ShouldGrantEachRoleToTheAppIdentity()
    {
        Problems.AssertNone(InfraRules.RoleAssignments(fixture.Snapshot));
        Assert.Equal(InfraRules.RequiredRoleAssignments(fixture.Snapshot).Count, fixture.Snapshot.OfType("Microsoft.Authorization/roleAssignments").Count());
    }

    [Fact]
    public void RoleAssignments_WhenCompiled_ShouldScopeEachDataRoleToATableQueueOrContainerNeverTheAccount()
    {
        Problems.AssertNone(InfraRules.DataRolesScopedNarrowly(fixture.Snapshot));

        // Each table and queue the app uses, the host's containers and the deployment container: 5 + 2 + 2 + 1, and
        // the telemetry role.
        var (tables, queues) = InfraRules.AppStorageNames();
        var scopes = fixture.Snapshot.OfType("Microsoft.Authorization/roleAssignments")
            .Select(a => InfraRules.AssignmentScope(a)!.Split("/providers/")[^1])
            .ToArray();
        Assert.Equal(tables.Count + queues.Count + InfraRules.HostContainers.Count + 2, scopes.Length);
        Assert.All(tables, table => Assert.Contains(scopes, s => s.EndsWith("/tableServices/default/tables/" + table, StringComparison.Ordinal)));
        Assert.All(queues, queue => Assert.Contains(scopes, s => s.EndsWith("/queueServices/default/queues/" + queue, StringComparison.Ordinal)));
        Assert.All(InfraRules.HostContainers.Append(InfraRules.DeploymentContainer), container =>
            Assert.Contains(scopes, s => s.EndsWith("/blobServices/default/containers/" + container, StringComparison.Ordinal)));
        Assert.DoesNotContain(scopes, s => s.StartsWith("Microsoft.Storage/storageAccounts/", StringComparison.Ordinal) && s.Split('/').Length == 3);
    }

    [Fact]
    public void FunctionApp_WhenCompiled_ShouldTurnOffTheHostsDiagnosticEventTables()
    {
        // The host would list, create and delete a table per month for them: a table role on the whole account.
        Assert.Equal("DisableDiagnosticEventLogging", fixture.Snapshot.AppSettings["AzureWebJobsFeatureFlags"]);
    }
}
