using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class AzureDeveloperCliTests(InfraFixture fixture)
{
    [Fact]
    public void AzureYaml_WhenParsed_ShouldDeployTheFunctionsProjectToTheTaggedFunctionApp()
    {
        var azure = Yaml.Load(RepositoryPaths.AzureYaml);
        Assert.Equal("bicep", azure.Get("infra")?.Scalar("provider"));
        Assert.Equal("infra", azure.Get("infra")?.Scalar("path"));
        Assert.Equal("main", azure.Get("infra")?.Scalar("module"));

        var service = Assert.Single(azure.Get("services")!.Keys());
        var api = azure.Get("services")!.Get(service)!;
        Assert.Equal("function", api.Scalar("host"));
        Assert.Equal("dotnet", api.Scalar("language"));
        Assert.True(Directory.Exists(Path.Combine(RepositoryPaths.Root, api.Scalar("project")!)), $"No project folder {api.Scalar("project")}.");

        // azd finds the resource to deploy a service to by this tag.
        Assert.Equal(service, (string?)fixture.Snapshot.FunctionApp["tags"]?["azd-service-name"]);
    }
}
