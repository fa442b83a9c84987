using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Payments.Core.Auth;

namespace Payments.Benchmarks;

/// <summary>
/// What our verification adds to the library call it wraps: header parsing, the algorithm and issuer pre-checks, the
/// warm key-cache lookup, subject and scope extraction. Both run the same RS256 token against the same parameters.
/// </summary>
[MemoryDiagnoser]
public class JwtVerificationBenchmarks : IDisposable
{
    private const string Issuer = "https://payments.local/dev";
    private const string Audience = "api://payments";

    private readonly RSA rsa = RSA.Create(2048);
    private readonly JsonWebTokenHandler bareHandler = new();
    private TokenVerifier verifier = null!;
    private TokenValidationParameters parameters = null!;
    private string token = null!;
    private string authorizationHeader = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var key = new RsaSecurityKey(rsa) { KeyId = "bench-1" };
        var options = Options.Create(new JwtOptions { Issuer = Issuer, Audience = Audience, SigningKeysPath = "in-memory" });
        // The cache holds what a JWKS endpoint publishes: the public key as a JSON Web Key.
        var publicKey = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = key.KeyId });
        var cache = new SigningKeyCache(new StaticKeySource(publicKey), options, TimeProvider.System, NullLogger<SigningKeyCache>.Instance);
        verifier = new TokenVerifier(cache, options);

        var now = DateTime.UtcNow;
        token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = "merchant-1", ["scope"] = "payments:read payments:write", ["jti"] = "bench" },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        authorizationHeader = "Bearer " + token;

        // Warm the key cache, and prove both paths accept the token before timing them.
        if (await verifier.VerifyAuthorizationAsync(authorizationHeader, CancellationToken.None) is not TokenVerification.Verified)
        {
            throw new InvalidOperationException("The benchmark token does not verify.");
        }

        var keySet = await cache.GetAsync(CancellationToken.None) ?? throw new InvalidOperationException("No keys.");
        parameters = verifier.CreateValidationParameters(keySet, hasKeyId: true);
        if (!(await bareHandler.ValidateTokenAsync(token, parameters)).IsValid)
        {
            throw new InvalidOperationException("The bare handler rejects the benchmark token.");
        }
    }

    [Benchmark(Baseline = true, Description = "JsonWebTokenHandler.ValidateTokenAsync (bare)")]
    public async Task<bool> BareHandler() => (await bareHandler.ValidateTokenAsync(token, parameters)).IsValid;

    [Benchmark(Description = "TokenVerifier.VerifyAuthorizationAsync (ours, warm keys)")]
    public async Task<TokenVerification> OurVerifier() => await verifier.VerifyAuthorizationAsync(authorizationHeader, CancellationToken.None);

    /// <summary>Ours from the token string, as the bare call gets it: no header to slice, so no copy of the token.</summary>
    [Benchmark(Description = "TokenVerifier.VerifyTokenAsync (ours, token string)")]
    public async Task<TokenVerification> OurVerifierFromToken() => await verifier.VerifyTokenAsync(token, CancellationToken.None);

    [GlobalCleanup]
    public void Dispose()
    {
        rsa.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class StaticKeySource(SecurityKey key) : ISigningKeySource
    {
        public string Description => "benchmark key";

        public Task<IEnumerable<SecurityKey>> FetchAsync(CancellationToken cancellationToken) => Task.FromResult<IEnumerable<SecurityKey>>([key]);
    }
}
