using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class RoleAssignmentTests(InfraFixture fixture)
{
    [Fact]
    public void RoleAssignments_WhenCompiled_ShouldGrantEachRoleToTheAppIdentity()
    {
        Problems.AssertNone(InfraRules.RoleAssignments(fixture.Snapshot));
        Assert.Equal(InfraRules.RequiredRoles.Count, fixture.Snapshot.OfType("Microsoft.Authorization/roleAssignments").Count());
    }
}
