using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class StorageTests(InfraFixture fixture)
{
    [Fact]
    public void StorageAccount_WhenCompiled_ShouldDisallowSharedKeyAccess()
    {
        Problems.AssertNone(InfraRules.SharedKeyAccessDisabled(fixture.Snapshot));
    }

    [Fact]
    public void StorageAccount_WhenCompiled_ShouldRequireHttpsTls12AndPrivateBlobs()
    {
        var properties = fixture.Snapshot.One("Microsoft.Storage/storageAccounts")["properties"];
        Assert.Equal("TLS1_2", (string?)properties?["minimumTlsVersion"]);
        Assert.True(properties?["supportsHttpsTrafficOnly"]?.GetValue<bool>());
        Assert.False(properties?["allowBlobPublicAccess"]?.GetValue<bool>());
        Assert.True(properties?["defaultToOAuthAuthentication"]?.GetValue<bool>());
    }

    [Fact]
    public void StorageAccount_WhenCompiled_ShouldCreateTheTablesAndQueuesTheAppUses()
    {
        var (tables, queues) = InfraRules.AppStorageNames();
        Assert.Contains("payments", queues);
        Assert.Contains("payments-poison", queues);
        Assert.Equal(5, tables.Count);
        Problems.AssertNone(InfraRules.StorageEntitiesExist(fixture.Snapshot));
    }

    [Fact]
    public void ApplicationInsights_WhenCompiled_ShouldRejectLocalAuthAndUseTheWorkspace()
    {
        var insights = fixture.Snapshot.One("Microsoft.Insights/components");
        var workspace = fixture.Snapshot.One("Microsoft.OperationalInsights/workspaces");
        Assert.True(insights["properties"]?["DisableLocalAuth"]?.GetValue<bool>());
        Assert.Equal((string?)workspace["id"], (string?)insights["properties"]?["WorkspaceResourceId"]);
    }

    [Fact]
    public void StorageAccount_WhenCompiled_ShouldBeReachableOnlyThroughPrivateEndpoints()
    {
        Problems.AssertNone(InfraRules.PrivateNetworking(fixture.Snapshot));
    }

    [Fact]
    public void StorageAccount_WhenCompiled_ShouldPreCreateTheHostContainersAndTheDeadLetterTable()
    {
        var containers = fixture.Snapshot.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").Select(c => ((string)c["name"]!).Split('/')[^1]).ToArray();
        var tables = fixture.Snapshot.OfType("Microsoft.Storage/storageAccounts/tableServices/tables").Select(c => ((string)c["name"]!).Split('/')[^1]).ToArray();

        Assert.Contains("azure-webjobs-hosts", containers);
        Assert.Contains("azure-webjobs-secrets", containers);
        Assert.Contains("app-package", containers);
        Assert.Contains("deadletters", tables);
    }

    [Fact]
    public void FunctionApp_WhenCompiled_ShouldNotCreateStorageAndShouldLimitRequestBodies()
    {
        Assert.Equal("false", fixture.Snapshot.AppSettings["Storage__CreateIfMissing"]);
        Problems.AssertNone(InfraRules.RequestBodyLimit(fixture.Snapshot));
    }

    [Fact]
    public void Parameters_WhenCompiled_ShouldHaveTheBoundsTheAppAccepts()
    {
        Problems.AssertNone(InfraRules.ParameterBoundsMatchApp(fixture.Template));
    }
}
