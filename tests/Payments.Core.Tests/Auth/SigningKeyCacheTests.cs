using Microsoft.Extensions.Time.Testing;
using Payments.Core.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;
using Payments.Core.Auth;

namespace Payments.Core.Tests.Auth;

public sealed class SigningKeyCacheTests : IDisposable
{
    private readonly TestIssuer issuer = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => issuer.Dispose();

    [Fact]
    public async Task GetAsync_WhenCalledRepeatedlyWithinRefreshInterval_ShouldFetchOnce()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var cache = VerifierFactory.Cache(source, time);

        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await cache.GetAsync(CancellationToken.None));
            time.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.Equal(1, source.Fetches);
    }

    [Fact]
    public async Task GetAsync_WhenRefreshIntervalHasPassed_ShouldFetchAgain()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var cache = VerifierFactory.Cache(source, time);
        await cache.GetAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromHours(1));
        await cache.GetAsync(CancellationToken.None);

        Assert.Equal(2, source.Fetches);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenFloodedWithRandomKidsAfterTheInterval_ShouldFetchAtMostOnce()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var verifier = VerifierFactory.Verifier(VerifierFactory.Cache(source, time));
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(1));
        var tokens = Enumerable.Range(0, 100).Select(i => issuer.Token(issuer.AliasOfMainKey("random-" + Guid.NewGuid().ToString("N")))).ToList();

        var outcomes = await Task.WhenAll(tokens.Select(t => verifier.VerifyTokenAsync(t, CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal(TokenRejectionReason.UnknownSigningKey, Assert.IsType<TokenVerification.Rejected>(o).Reason));
        Assert.InRange(source.Fetches - 1, 0, 1);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenFloodedWithRandomKidsRightAfterAFetch_ShouldNotFetch()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var verifier = VerifierFactory.Verifier(VerifierFactory.Cache(source, time));
        await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None);

        for (var i = 0; i < 100; i++)
        {
            var outcome = await verifier.VerifyTokenAsync(issuer.Token(issuer.AliasOfMainKey("random-" + i)), CancellationToken.None);
            Assert.IsType<TokenVerification.Rejected>(outcome);
        }

        Assert.Equal(1, source.Fetches);
    }

    [Fact]
    public async Task RefreshForUnknownKeyAsync_WhenManyCallersArriveDuringAFetch_ShouldShareOneFetch()
    {
        var source = new InMemoryKeySource(issuer.Rsa) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var cache = VerifierFactory.Cache(source, time);

        var callers = Enumerable.Range(0, 20).Select(_ => cache.RefreshForUnknownKeyAsync(CancellationToken.None)).ToList();
        source.Gate.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, source.Fetches);
        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.NotNull(results[0]);
    }

    [Fact]
    public async Task GetAsync_WhenARefreshFails_ShouldKeepTheLastGoodKeys()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var cache = VerifierFactory.Cache(source, time);
        var first = await cache.GetAsync(CancellationToken.None);
        source.Failure = new HttpRequestException("issuer down");

        time.Advance(TimeSpan.FromHours(2));
        var afterFailure = await cache.GetAsync(CancellationToken.None);

        Assert.Equal(2, source.Fetches);
        Assert.Same(first, afterFailure);
    }

    [Fact]
    public async Task GetAsync_WhenTheSourceHoldsOnlySymmetricKeys_ShouldHaveNoKeys()
    {
        var source = new InMemoryKeySource(new SymmetricSecurityKey(new byte[32]) { KeyId = "oct" });
        var cache = VerifierFactory.Cache(source, time);

        Assert.Null(await cache.GetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_WhenFetchesKeepFailingPastMaxKeyStaleness_ShouldFailClosedUntilAFetchSucceeds()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var verifier = VerifierFactory.Verifier(VerifierFactory.Cache(source, time));
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));
        source.Failure = new HttpRequestException("issuer down");

        time.Advance(TimeSpan.FromHours(6) - TimeSpan.FromSeconds(1));
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<TokenVerification.KeysUnavailable>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));

        source.Failure = null;
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(), CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_WhenAFetchedSetHasNoUsableKey_ShouldCountItAsAFailedFetchAndGoStale()
    {
        var source = new InMemoryKeySource(issuer.Rsa);
        var cache = VerifierFactory.Cache(source, time);
        var first = await cache.GetAsync(CancellationToken.None);
        source.Jwks = TestIssuer.Jwks(new SymmetricSecurityKey(new byte[32]) { KeyId = "oct" });

        time.Advance(TimeSpan.FromHours(2));
        Assert.Same(first, await cache.GetAsync(CancellationToken.None));
        source.Jwks = """{"keys":[]}""";
        time.Advance(TimeSpan.FromHours(4));

        Assert.Null(await cache.GetAsync(CancellationToken.None));
        Assert.Equal(3, source.Fetches);
    }

    [Fact]
    public async Task GetAsync_WhenTheIssuerDropsAKey_ShouldReplaceTheWholeSet()
    {
        var retired = issuer.NewRsaKey("rsa-retired");
        var source = new InMemoryKeySource(issuer.Rsa, retired);
        var verifier = VerifierFactory.Verifier(VerifierFactory.Cache(source, time));
        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(issuer.Token(retired), CancellationToken.None));
        source.Jwks = TestIssuer.Jwks(issuer.Rsa);

        time.Advance(TimeSpan.FromHours(1));
        var outcome = await verifier.VerifyTokenAsync(issuer.Token(retired), CancellationToken.None);

        Assert.Equal(TokenRejectionReason.UnknownSigningKey, Assert.IsType<TokenVerification.Rejected>(outcome).Reason);
    }
}
