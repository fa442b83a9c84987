using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class RoleAssignmentTests(InfraFixture fixture)
{
    [Fact]
    public void RoleAssignments_WhenCompiled_ShouldGrantEachRoleToTheAppIdentity()
    {
        var problems = InfraRules.RoleAssignments(fixture.Snapshot);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Equal(InfraRules.RequiredRoles.Count, fixture.Snapshot.OfType("Microsoft.Authorization/roleAssignments").Count());
    }
}
