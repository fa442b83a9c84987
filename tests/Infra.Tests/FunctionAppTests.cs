using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class FunctionAppTests(InfraFixture fixture)
{
    [Fact]
    public void FunctionApp_WhenCompiled_ShouldServeHttpsOnly()
    {
        Assert.True(fixture.Snapshot.FunctionApp["properties"]?["httpsOnly"]?.GetValue<bool>());
    }

    [Fact]
    public void FunctionApp_WhenCompiled_ShouldRequireTls12()
    {
        var siteConfig = fixture.Snapshot.FunctionApp["properties"]?["siteConfig"];
        Assert.Equal("1.2", (string?)siteConfig?["minTlsVersion"]);
        Assert.Equal("1.2", (string?)siteConfig?["scmMinTlsVersion"]);
    }

    [Fact]
    public void FunctionApp_WhenCompiled_ShouldRunDotnetIsolated10OnFlexConsumption()
    {
        var config = fixture.Snapshot.FunctionApp["properties"]?["functionAppConfig"];
        Assert.Equal("dotnet-isolated", (string?)config?["runtime"]?["name"]);
        Assert.Equal("10.0", (string?)config?["runtime"]?["version"]);
        // The defaults of main.bicep's parameters (main.bicepparam leaves them alone in the test environment).
        Assert.Equal(2048, config?["scaleAndConcurrency"]?["instanceMemoryMB"]?.GetValue<int>());
        Assert.Equal(40, config?["scaleAndConcurrency"]?["maximumInstanceCount"]?.GetValue<int>());

        var plan = fixture.Snapshot.One("Microsoft.Web/serverfarms");
        Assert.Equal("FC1", (string?)plan["sku"]?["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]?["tier"]);
        Assert.Equal(plan["id"]?.ToString(), (string?)fixture.Snapshot.FunctionApp["properties"]?["serverFarmId"]);
    }

    [Fact]
    public void FunctionApp_WhenCompiled_ShouldDisableFtpAndBasicPublishingCredentials()
    {
        Assert.Equal("Disabled", (string?)fixture.Snapshot.FunctionApp["properties"]?["siteConfig"]?["ftpsState"]);
        var policies = fixture.Snapshot.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
            .ToDictionary(policy => ((string)policy["name"]!).Split('/')[^1], policy => policy["properties"]?["allow"]?.GetValue<bool>());
        Assert.Equal(false, policies.GetValueOrDefault("ftp"));
        Assert.Equal(false, policies.GetValueOrDefault("scm"));
    }

    [Fact]
    public void FunctionApp_WhenCompiled_ShouldRunAndDeployAsTheUserAssignedIdentity()
    {
        var app = fixture.Snapshot.FunctionApp;
        Assert.Equal("UserAssigned", (string?)app["identity"]?["type"]);
        Assert.True(app["identity"]?["userAssignedIdentities"]?.AsObject().ContainsKey(fixture.Snapshot.IdentityId));

        var storage = app["properties"]?["functionAppConfig"]?["deployment"]?["storage"];
        Assert.Equal("blobContainer", (string?)storage?["type"]);
        Assert.Equal("UserAssignedIdentity", (string?)storage?["authentication"]?["type"]);
        Assert.Equal(fixture.Snapshot.IdentityId, (string?)storage?["authentication"]?["userAssignedIdentityResourceId"]);
        Assert.Contains(".primaryEndpoints.blob", (string?)storage?["value"], StringComparison.Ordinal);
    }
}
