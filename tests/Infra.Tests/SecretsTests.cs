using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class SecretsTests(InfraFixture fixture)
{
    private static readonly string[] SecretMarkers = ["listKeys(", "listConnectionStrings(", "listAccountSas(", "AccountKey=", "SharedAccessSignature="];

    [Fact]
    public void Template_WhenCompiled_ShouldOutputOnlyTheAppNameUrlAndIdentityClientId()
    {
        var outputs = fixture.Template["outputs"]!.AsObject();
        Assert.Equal(["functionAppName", "functionAppUrl", "identityClientId"], outputs.Select(output => output.Key).Order(StringComparer.Ordinal));
        Assert.All(outputs, output => Assert.Equal("string", (string?)output.Value?["type"]));
    }

    [Fact]
    public void Template_WhenCompiled_ShouldNeedNoSecretParameters()
    {
        var parameters = fixture.Template["parameters"]!.AsObject();
        Assert.NotEmpty(parameters);
        Assert.All(parameters, parameter => Assert.DoesNotContain("secure", (string?)parameter.Value?["type"], StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Template_WhenCompiled_ShouldNeverReadAKeyOrSharedAccessSignature()
    {
        var text = fixture.Template.ToJsonString();
        Assert.All(SecretMarkers, marker => Assert.DoesNotContain(marker, text, StringComparison.OrdinalIgnoreCase));
        Assert.All(fixture.Snapshot.AppSettings, setting =>
            Assert.All(SecretMarkers, marker => Assert.DoesNotContain(marker, setting.Value ?? string.Empty, StringComparison.OrdinalIgnoreCase)));
    }
}
