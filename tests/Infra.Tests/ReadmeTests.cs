using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class ReadmeTests(InfraFixture fixture)
{
    [Fact]
    public void InfraReadme_WhenComparedWithTheTemplate_ShouldListEveryResourceTypeWithItsApiVersion()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Infra, "README.md"));
        var resources = fixture.Snapshot.Resources
            .Select(resource => (Type: (string)resource["type"]!, ApiVersion: (string)resource["apiVersion"]!))
            .Distinct()
            .ToArray();

        Assert.NotEmpty(resources);
        var missing = resources
            .Where(resource => !lines.Any(line => line.Contains($"`{resource.Type}`", StringComparison.Ordinal)
                && line.Contains($"`{resource.ApiVersion}`", StringComparison.Ordinal)))
            .Select(resource => $"{resource.Type}@{resource.ApiVersion}")
            .ToArray();
        Assert.True(missing.Length == 0, "infra/README.md does not list: " + string.Join(", ", missing));
    }
}
