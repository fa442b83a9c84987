using System.Text.Json;
using Payments.Core.Auth;
using Payments.DevTokens;

namespace Payments.Core.Tests.Auth;

/// <summary>The local development loop: a token minted by Payments.DevTokens passes the app's verifier configured from local.settings.sample.json.</summary>
public sealed class DevTokenTests : IDisposable
{
    private readonly DirectoryInfo keysDirectory = Directory.CreateTempSubdirectory("devkeys-");

    public void Dispose() => keysDirectory.Delete(recursive: true);

    private static JwtOptions SampleSettings(string jwksPath)
    {
        var root = DevTokenIssuer.FindRepositoryRoot(AppContext.BaseDirectory);
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values");
        Assert.Equal(".devkeys/jwks.json", values.GetProperty("Jwt:SigningKeysPath").GetString());
        return new JwtOptions
        {
            Issuer = values.GetProperty("Jwt:Issuer").GetString(),
            Audience = values.GetProperty("Jwt:Audience").GetString(),
            ClockSkewSeconds = int.Parse(values.GetProperty("Jwt:ClockSkewSeconds").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            SigningKeysPath = jwksPath,
        };
    }

    [Fact]
    public async Task Mint_WhenVerifiedWithTheSampleSettings_ShouldBeAccepted()
    {
        using var issuer = DevTokenIssuer.LoadOrCreate(keysDirectory.FullName);
        var options = SampleSettings(issuer.JwksPath);
        Assert.True(new JwtOptionsValidator().Validate(null, options).Succeeded);
        var cache = VerifierFactory.Cache(new JwksFileKeySource(issuer.JwksPath), options: options);
        var verifier = VerifierFactory.Verifier(cache, options);

        var outcome = await verifier.VerifyAuthorizationAsync(
            "Bearer " + issuer.Mint("merchant-1", "payments:read payments:write", TimeSpan.FromMinutes(5)), CancellationToken.None);

        var caller = Assert.IsType<TokenVerification.Verified>(outcome).Caller;
        Assert.Equal("merchant-1", caller.Subject);
        Assert.Equal([PaymentScopes.Read, PaymentScopes.Write], caller.Scopes);
    }

    [Fact]
    public void LoadOrCreate_WhenKeyAlreadyExists_ShouldReuseItAndKeepThePrivateKeyOwnerOnly()
    {
        string firstKeyId;
        using (var first = DevTokenIssuer.LoadOrCreate(keysDirectory.FullName))
        {
            Assert.True(first.Created);
            firstKeyId = first.KeyId;
        }

        using var second = DevTokenIssuer.LoadOrCreate(keysDirectory.FullName);

        Assert.False(second.Created);
        Assert.Equal(firstKeyId, second.KeyId);
        var jwks = File.ReadAllText(second.JwksPath);
        Assert.Contains(firstKeyId, jwks, StringComparison.Ordinal);
        Assert.DoesNotContain("\"d\"", jwks, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Path.Combine(keysDirectory.FullName, DevTokenIssuer.PrivateKeyFileName));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }
}
