using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class BicepCheckTests(InfraFixture fixture)
{
    [Fact]
    public void BicepCli_WhenCheckingInfra_ShouldReportNoWarningOrError()
    {
        // build, build-params, lint (rules at error in infra/bicepconfig.json) and format, as scripts/check-infra.sh.
        Assert.True(fixture.CheckProblems.Count == 0,
            $"Bicep CLI {BicepCli.Version} reported:{Environment.NewLine}{string.Join(Environment.NewLine, fixture.CheckProblems)}");
    }

    [Fact]
    public void Template_WhenCompiled_ShouldTargetAResourceGroup()
    {
        Assert.Equal("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", (string?)fixture.Template["$schema"]);
    }
}
