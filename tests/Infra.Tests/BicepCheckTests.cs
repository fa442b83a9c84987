using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class BicepCheckTests(InfraFixture fixture)
{
    [Fact]
    public void BicepCli_WhenCheckingInfra_ShouldReportNoWarningOrError()
    {
        // build, build-params, lint (rules at error in infra/bicepconfig.json) and format, as scripts/check-infra.sh.
        Problems.AssertNone(fixture.CheckProblems);
    }

    [Fact]
    public void Template_WhenCompiled_ShouldTargetAResourceGroup()
    {
        Assert.Equal("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", (string?)fixture.Template["$schema"]);
    }
}
