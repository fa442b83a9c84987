using Microsoft.Extensions.Time.Testing;
using Payments.Core.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Auth;

namespace Payments.Core.Tests.Auth;

/// <summary>Key sources against a real HTTP issuer on loopback and a real file: rotation, removal and rate limiting.</summary>
public sealed class SigningKeySourceTests : IDisposable
{
    private readonly TestIssuer issuer = new();
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        issuer.Dispose();
        http.Dispose();
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTheJwksUriPublishesANewKeyAfterStart_ShouldAcceptItWithoutRestart()
    {
        await using var server = new LoopbackKeyServer(TestIssuer.Jwks(issuer.Rsa));
        var verifier = VerifierFactory.Verifier(new JwksUriKeySource(server.JwksUri, () => http), time);
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));

        var rotated = issuer.NewRsaKey("rsa-2");
        server.Jwks = TestIssuer.Jwks(issuer.Rsa, rotated);
        time.Advance(TimeSpan.FromSeconds(31));
        var outcome = await verifier.VerifyTokenAsync(issuer.Token(rotated), CancellationToken.None);

        Assert.IsType<TokenVerification.Verified>(outcome);
        Assert.Equal(2, server.JwksRequests);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenAKeyIsRemovedFromTheJwksUri_ShouldStopAcceptingItAfterTheRefresh()
    {
        var next = issuer.NewRsaKey("rsa-2");
        await using var server = new LoopbackKeyServer(TestIssuer.Jwks(issuer.Rsa, next));
        var verifier = VerifierFactory.Verifier(new JwksUriKeySource(server.JwksUri, () => http), time);
        var oldKeyToken = issuer.Token(issuer.Rsa);
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(oldKeyToken, CancellationToken.None));

        server.Jwks = TestIssuer.Jwks(next);
        time.Advance(TimeSpan.FromHours(1));
        var outcome = await verifier.VerifyTokenAsync(oldKeyToken, CancellationToken.None);

        Assert.Equal(TokenRejectionReason.UnknownSigningKey, Assert.IsType<TokenVerification.Rejected>(outcome).Reason);
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(next), CancellationToken.None));
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenFloodedWith100RandomKids_ShouldHitTheJwksUriAtMostOnce()
    {
        await using var server = new LoopbackKeyServer(TestIssuer.Jwks(issuer.Rsa));
        var verifier = VerifierFactory.Verifier(new JwksUriKeySource(server.JwksUri, () => http), time);
        await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None);
        var before = server.JwksRequests;
        time.Advance(TimeSpan.FromMinutes(5));
        var tokens = Enumerable.Range(0, 100).Select(_ => issuer.Token(issuer.AliasOfMainKey(Guid.NewGuid().ToString("N")))).ToList();

        var outcomes = await Task.WhenAll(tokens.Select(t => verifier.VerifyTokenAsync(t, CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(TokenRejectionReason.UnknownSigningKey, Assert.IsType<TokenVerification.Rejected>(o).Reason));
        Assert.InRange(server.JwksRequests - before, 0, 1);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTheAuthorityDiscoveryDocumentPointsAtJwks_ShouldVerifyWithItsKeys()
    {
        await using var server = new LoopbackKeyServer(TestIssuer.Jwks(issuer.Rsa));
        var verifier = VerifierFactory.Verifier(new OpenIdConnectKeySource(server.BaseUri, () => http), time);

        var outcome = await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None);

        Assert.IsType<TokenVerification.Verified>(outcome);
        Assert.Equal(1, server.DiscoveryRequests);
        Assert.Equal(1, server.JwksRequests);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTheJwksUriIsUnreachable_ShouldReportKeysUnavailable()
    {
        Uri deadUri;
        await using (var server = new LoopbackKeyServer("{}"))
        {
            deadUri = server.JwksUri;
        }

        var verifier = VerifierFactory.Verifier(new JwksUriKeySource(deadUri, () => http), time);

        var outcome = await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None);

        Assert.IsType<TokenVerification.KeysUnavailable>(outcome);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTheJwksFileIsRewritten_ShouldPickUpTheNewKeyOnRefresh()
    {
        var path = Path.Combine(Path.GetTempPath(), "jwks-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            await File.WriteAllTextAsync(path, TestIssuer.Jwks(issuer.Rsa));
            var verifier = VerifierFactory.Verifier(new JwksFileKeySource(path), time);
            Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));

            var rotated = issuer.NewRsaKey("rsa-2");
            await File.WriteAllTextAsync(path, TestIssuer.Jwks(rotated));
            time.Advance(TimeSpan.FromMinutes(1));

            Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(rotated), CancellationToken.None));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("Jwt:JwksUri")]
    [InlineData("Jwt:Authority")]
    public async Task AddJwtAuthentication_WhenKeysComeFromALoopbackIssuer_ShouldVerifyThroughTheHttpClientFactory(string setting)
    {
        await using var server = new LoopbackKeyServer(TestIssuer.Jwks(issuer.Rsa));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Jwt:Issuer"] = TestIssuer.Issuer,
            ["Jwt:Audience"] = TestIssuer.Audience,
            [setting] = setting == "Jwt:JwksUri" ? server.JwksUri.AbsoluteUri : server.BaseUri.AbsoluteUri,
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddJwtAuthentication(configuration).BuildServiceProvider();

        var outcome = await provider.GetRequiredService<TokenVerifier>().VerifyAuthorizationAsync("Bearer " + issuer.Token(), CancellationToken.None);

        Assert.IsType<TokenVerification.Verified>(outcome);
        Assert.Equal(1, server.JwksRequests);
        Assert.Equal(setting == "Jwt:Authority" ? 1 : 0, server.DiscoveryRequests);
    }

    [Fact]
    public void ResolvePath_WhenRelativePathExistsInAParentDirectory_ShouldFindIt()
    {
        var root = Directory.CreateTempSubdirectory("jwks-root-");
        try
        {
            var keys = Directory.CreateDirectory(Path.Combine(root.FullName, ".devkeys"));
            File.WriteAllText(Path.Combine(keys.FullName, "jwks.json"), "{}");
            var appDirectory = Directory.CreateDirectory(Path.Combine(root.FullName, "src", "App", "bin", "Release", "net10.0"));

            var resolved = JwksFileKeySource.ResolvePath(".devkeys/jwks.json", appDirectory.FullName);

            Assert.Equal(Path.Combine(keys.FullName, "jwks.json"), resolved);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void ResolvePath_WhenRelativePathExistsNowhere_ShouldPointUnderTheAppDirectory()
    {
        var appDirectory = Directory.CreateTempSubdirectory("jwks-app-");
        try
        {
            var resolved = JwksFileKeySource.ResolvePath("no-such-dir-" + Guid.NewGuid().ToString("N") + "/jwks.json", appDirectory.FullName);

            Assert.StartsWith(appDirectory.FullName, resolved, StringComparison.Ordinal);
        }
        finally
        {
            appDirectory.Delete(recursive: true);
        }
    }
}
