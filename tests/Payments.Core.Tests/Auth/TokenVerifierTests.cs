using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Payments.Core.Auth;

namespace Payments.Core.Tests.Auth;

public sealed class TokenVerifierTests : IDisposable
{
    private readonly TestIssuer issuer = new();
    private readonly InMemoryKeySource keys;
    private readonly TokenVerifier verifier;

    public TokenVerifierTests()
    {
        keys = new InMemoryKeySource(issuer.Rsa);
        verifier = VerifierFactory.Verifier(keys);
    }

    public void Dispose() => issuer.Dispose();

    private Task<TokenVerification> VerifyBearer(string token) =>
        verifier.VerifyAuthorizationAsync("Bearer " + token, CancellationToken.None);

    private static TokenVerification.Rejected AssertRejected(TokenVerification outcome, TokenRejectionReason reason, string token)
    {
        var rejected = Assert.IsType<TokenVerification.Rejected>(outcome);
        Assert.Equal(reason, rejected.Reason);
        AssertDoesNotEcho(rejected.Description, token);
        return rejected;
    }

    /// <summary>No part of the token (header, payload or signature) may appear in what the caller is told.</summary>
    internal static void AssertDoesNotEcho(string description, string token)
    {
        foreach (var part in token.Split('.').Where(p => p.Length >= 8))
        {
            Assert.DoesNotContain(part, description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenTokenIsValid_ShouldReturnCallerWithSubjectScopesAndTokenId()
    {
        var token = issuer.Token(subject: "merchant-42", scope: "payments:read payments:write");

        var outcome = await VerifyBearer(token);

        var caller = Assert.IsType<TokenVerification.Verified>(outcome).Caller;
        Assert.Equal("merchant-42", caller.Subject);
        Assert.Equal(["payments:read", "payments:write"], caller.Scopes);
        Assert.StartsWith("token-", caller.TokenId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenSchemeIsLowerCaseBearer_ShouldAccept()
    {
        var outcome = await verifier.VerifyAuthorizationAsync("bearer " + issuer.Token(), CancellationToken.None);

        Assert.IsType<TokenVerification.Verified>(outcome);
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSsaPssSha256)]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    public async Task VerifyTokenAsync_WhenSignedWithAllowedRsaAlgorithm_ShouldAccept(string algorithm)
    {
        var outcome = await verifier.VerifyTokenAsync(issuer.Token(algorithm: algorithm), CancellationToken.None);

        Assert.IsType<TokenVerification.Verified>(outcome);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenSignedWithEs256KeyInTheSet_ShouldAccept()
    {
        var ec = issuer.NewEcKey("ec-1");
        var ecVerifier = VerifierFactory.Verifier(new InMemoryKeySource(issuer.Rsa, ec));

        var outcome = await ecVerifier.VerifyTokenAsync(issuer.Token(ec, SecurityAlgorithms.EcdsaSha256), CancellationToken.None);

        Assert.IsType<TokenVerification.Verified>(outcome);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenHeaderIsMissing_ShouldRejectAsMissingCredentials()
    {
        var outcome = await verifier.VerifyAuthorizationAsync(null, CancellationToken.None);

        var rejected = Assert.IsType<TokenVerification.Rejected>(outcome);
        Assert.Equal(TokenRejectionReason.MissingToken, rejected.Reason);
        Assert.True(rejected.IsMissingCredentials);
        Assert.Equal(0, keys.Fetches);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenSchemeIsBasic_ShouldRejectAsWrongScheme()
    {
        const string basic = "Basic bWVyY2hhbnQtMTpzZWNyZXQtcGFzc3dvcmQ=";

        var outcome = await verifier.VerifyAuthorizationAsync(basic, CancellationToken.None);

        var rejected = AssertRejected(outcome, TokenRejectionReason.WrongScheme, basic);
        Assert.True(rejected.IsMissingCredentials);
        Assert.DoesNotContain("bWVyY2hhbnQ", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenBearerHasNoToken_ShouldRejectAsMalformed()
    {
        var outcome = await verifier.VerifyAuthorizationAsync("Bearer   ", CancellationToken.None);

        Assert.Equal(TokenRejectionReason.Malformed, Assert.IsType<TokenVerification.Rejected>(outcome).Reason);
    }

    [Theory]
    [InlineData("not-a-jwt-at-all")]
    [InlineData("abc.def")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.%%%%.sig")]
    [InlineData("eyJub3QiOiJjbG9zZWQ.eyJzdWIiOiJ4In0.c2ln")]
    public async Task VerifyAuthorizationAsync_WhenTokenIsMalformed_ShouldRejectAsMalformed(string token)
    {
        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.Malformed, token);
        Assert.Contains("well-formed", rejected.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(token, rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenTokenIsTooLong_ShouldRejectAsMalformedWithoutParsing()
    {
        var token = new string('a', TokenVerifier.MaxTokenLength + 1);

        var outcome = await VerifyBearer(token);

        Assert.Equal(TokenRejectionReason.Malformed, Assert.IsType<TokenVerification.Rejected>(outcome).Reason);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenTokenExpired_ShouldSayWhen()
    {
        var expires = DateTime.UtcNow.AddMinutes(-5);
        var token = issuer.Token(notBefore: expires.AddMinutes(-10), expires: expires);

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.Expired, token);
        Assert.Contains("expired at " + expires.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), rejected.Description, StringComparison.Ordinal);
        Assert.Equal("merchant-1", rejected.Subject);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenExpiredWithinClockSkew_ShouldAccept()
    {
        var token = issuer.Token(notBefore: DateTime.UtcNow.AddMinutes(-10), expires: DateTime.UtcNow.AddSeconds(-10));

        var outcome = await VerifyBearer(token);

        Assert.IsType<TokenVerification.Verified>(outcome);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenNotBeforeIsInTheFuture_ShouldRejectAsNotYetValid()
    {
        var token = issuer.Token(notBefore: DateTime.UtcNow.AddMinutes(5), expires: DateTime.UtcNow.AddMinutes(20));

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.NotYetValid, token);
        Assert.Contains("not valid before", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenTokenHasNoExpiry_ShouldReject()
    {
        var token = issuer.Token(withExpiry: false);

        var outcome = await VerifyBearer(token);

        AssertRejected(outcome, TokenRejectionReason.MissingExpiration, token);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenIssuerIsWrong_ShouldRejectWithoutFetchingKeysOrDisclosingTheIssuer()
    {
        var token = issuer.Token(issuer: "https://evil.test/");

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.WrongIssuer, token);
        Assert.DoesNotContain(TestIssuer.Issuer, rejected.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(TestIssuer.Audience, rejected.Description, StringComparison.Ordinal);
        Assert.Equal(0, keys.Fetches);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenAudienceIsWrong_ShouldRejectWithoutDisclosingTheAudience()
    {
        var token = issuer.Token(audience: "api://someone-else");

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.WrongAudience, token);
        Assert.DoesNotContain(TestIssuer.Audience, rejected.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(TestIssuer.Issuer, rejected.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("someone-else", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenSignedByAnotherKeyWithTheSameKid_ShouldRejectAsBadSignature()
    {
        var impostor = issuer.NewRsaKey(issuer.Rsa.KeyId);
        var token = issuer.Token(impostor);

        var outcome = await VerifyBearer(token);

        AssertRejected(outcome, TokenRejectionReason.BadSignature, token);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenAForgedTokenIsAlsoExpired_ShouldReportTheSignatureAndNoSubject()
    {
        // The subject in a rejection is logged as the caller's: it must only come from a token whose signature held.
        var impostor = issuer.NewRsaKey(issuer.Rsa.KeyId);
        var token = issuer.Token(impostor, subject: "victim", notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1));

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.BadSignature, token);
        Assert.Null(rejected.Subject);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenAForgedTokenHasTheWrongAudience_ShouldReportTheSignatureAndNoSubject()
    {
        var impostor = issuer.NewRsaKey(issuer.Rsa.KeyId);
        var token = issuer.Token(impostor, subject: "victim", audience: "api://other");

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.BadSignature, token);
        Assert.Null(rejected.Subject);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenPayloadIsTamperedAfterSigning_ShouldRejectAsBadSignature()
    {
        var token = TestIssuer.Tamper(issuer.Token(subject: "merchant-1"), newSubject: "merchant-2");

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.BadSignature, token);
        Assert.Null(rejected.Subject);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenAlgIsNone_ShouldRejectWithoutFetchingKeys()
    {
        var token = TestIssuer.UnsignedToken();

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.AlgorithmNotAllowed, token);
        Assert.Contains("not signed", rejected.Description, StringComparison.Ordinal);
        Assert.Equal(0, keys.Fetches);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenHs256IsSignedWithThePublicKeyAsSecret_ShouldReject()
    {
        var token = issuer.HmacWithPublicKeyToken();

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.AlgorithmNotAllowed, token);
        Assert.Contains("'HS256'", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenHmacIsAllowedByMistakeAndTheSetHoldsASymmetricKey_ShouldStillReject()
    {
        // Defence in depth: even with HS256 in the allow-list (the options validator forbids it), a symmetric key
        // published in the JWKS never enters the cache, so nothing can verify an HMAC token.
        var secret = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "oct-1" };
        var source = new InMemoryKeySource(issuer.Rsa, secret);
        var options = VerifierFactory.Options();
        options.AllowedAlgorithms = "RS256 HS256";
        var cache = VerifierFactory.Cache(source, options: options);
        var lenient = VerifierFactory.Verifier(cache, options);
        var token = issuer.Token(secret, SecurityAlgorithms.HmacSha256);

        var outcome = await lenient.VerifyTokenAsync(token, CancellationToken.None);

        AssertRejected(outcome, TokenRejectionReason.UnknownSigningKey, token);
        var keySet = await cache.GetAsync(CancellationToken.None);
        Assert.Equal(1, keySet!.IgnoredKeyCount);
        Assert.All(keySet.Keys, k => Assert.IsNotType<SymmetricSecurityKey>(k));
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenAlgorithmIsAsymmetricButNotAllowed_ShouldReject()
    {
        var token = issuer.Token(algorithm: SecurityAlgorithms.RsaSha512);

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.AlgorithmNotAllowed, token);
        Assert.Contains("RS256, PS256, ES256", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenKidIsUnknown_ShouldRefreshOnceThenReject()
    {
        var stranger = issuer.NewRsaKey("never-published");
        var token = issuer.Token(stranger);

        var outcome = await VerifyBearer(token);

        AssertRejected(outcome, TokenRejectionReason.UnknownSigningKey, token);
        Assert.Equal(1, keys.Fetches);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenSubIsMissing_ShouldReject()
    {
        var token = issuer.Token(subject: null);

        var outcome = await VerifyBearer(token);

        var rejected = AssertRejected(outcome, TokenRejectionReason.MissingSubject, token);
        Assert.Contains("'sub'", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenTokenHasNoKidAndOneKeyMatches_ShouldAccept()
    {
        var anonymousKey = new RsaSecurityKey(issuer.Rsa.Rsa);
        var token = issuer.Token(anonymousKey);

        var outcome = await VerifyBearer(token);

        Assert.IsType<TokenVerification.Verified>(outcome);
    }

    [Fact]
    public async Task VerifyAuthorizationAsync_WhenKeysCannotBeLoaded_ShouldReportUnavailable()
    {
        var failing = new InMemoryKeySource(issuer.Rsa) { Failure = new HttpRequestException("connection refused") };
        var unavailable = VerifierFactory.Verifier(failing);

        var outcome = await unavailable.VerifyTokenAsync(issuer.Token(), CancellationToken.None);

        Assert.IsType<TokenVerification.KeysUnavailable>(outcome);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenScpIsAnArray_ShouldReadScopes()
    {
        var token = issuer.Token(scope: null, claims: new Dictionary<string, object> { ["scp"] = new[] { "payments:read", "payments:write" } });

        var caller = Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(token, CancellationToken.None)).Caller;

        Assert.Equal(["payments:read", "payments:write"], caller.Scopes);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenScpIsASpaceSeparatedString_ShouldReadScopes()
    {
        var token = issuer.Token(scope: null, claims: new Dictionary<string, object> { ["scp"] = "payments:read  payments:write" });

        var caller = Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(token, CancellationToken.None)).Caller;

        Assert.Equal(["payments:read", "payments:write"], caller.Scopes);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenNoScopeClaim_ShouldVerifyWithNoScopes()
    {
        var token = issuer.Token(scope: null);

        var caller = Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(token, CancellationToken.None)).Caller;

        Assert.Empty(caller.Scopes);
        Assert.False(caller.HasScope(PaymentScopes.Read));
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("jwt")]
    [InlineData("at+jwt")]
    [InlineData("AT+JWT")]
    [InlineData("application/at+jwt")]
    [InlineData("Application/JWT")]
    public async Task VerifyTokenAsync_WhenTypIsAJwtAccessTokenType_ShouldAccept(string typ)
    {
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = typ }, TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(token, CancellationToken.None));
    }

    [Theory]
    [InlineData("JOSE")]
    [InlineData("secevent+jwt")]
    [InlineData("application/jwt+extra")]
    [InlineData("")]
    public async Task VerifyTokenAsync_WhenTypIsAnotherType_ShouldRejectWithoutFetchingKeys(string typ)
    {
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = typ }, TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        AssertRejected(await verifier.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.WrongTokenType, token);
        Assert.Equal(0, keys.Fetches);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTypIsNotAString_ShouldRejectAsMalformed()
    {
        // The JWT library itself refuses to read a header whose 'typ' is not a string.
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = 1 }, TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        AssertRejected(await verifier.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.Malformed, token);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTypIsMissingAndNotRequired_ShouldAccept()
    {
        var token = issuer.SignedRaw(new Dictionary<string, object?>(), TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenTypIsMissingAndRequired_ShouldReject()
    {
        var options = VerifierFactory.Options();
        options.RequireTokenType = true;
        var strict = VerifierFactory.Verifier(VerifierFactory.Cache(keys, options: options), options);
        var token = issuer.SignedRaw(new Dictionary<string, object?>(), TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        var rejected = AssertRejected(await strict.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.WrongTokenType, token);
        Assert.Contains("no 'typ'", rejected.Description, StringComparison.Ordinal);
        Assert.IsType<TokenVerification.Verified>(await strict.VerifyTokenAsync(issuer.Token(), CancellationToken.None));
    }

    [Theory]
    [InlineData("[\"exp\"]")]
    [InlineData("[\"b64\"]")]
    [InlineData("[]")]
    [InlineData("\"not-a-list\"")]
    public async Task VerifyTokenAsync_WhenHeaderHasCrit_ShouldRejectWithoutFetchingKeys(string crit)
    {
        var header = new Dictionary<string, object?> { ["typ"] = "JWT", ["crit"] = System.Text.Json.JsonDocument.Parse(crit).RootElement.Clone(), ["exp"] = 1 };
        var token = issuer.SignedRaw(header, TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        var rejected = AssertRejected(await verifier.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.UnsupportedCriticalHeader, token);
        Assert.Contains("'crit'", rejected.Description, StringComparison.Ordinal);
        Assert.Equal(0, keys.Fetches);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenLifetimeFromIatExceedsTheMaximum_ShouldReject()
    {
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "JWT" }, TestIssuer.RawPayload(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1)));

        var rejected = AssertRejected(await verifier.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.LifetimeTooLong, token);
        Assert.Contains("24 h", rejected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenLifetimeIsExactlyTheMaximum_ShouldAccept()
    {
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "JWT" }, TestIssuer.RawPayload(TimeSpan.FromHours(24)));

        Assert.IsType<TokenVerification.Verified>(await verifier.VerifyTokenAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenThereIsNoIatAndExpIsTooFarFromNow_ShouldReject()
    {
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "JWT" }, TestIssuer.RawPayload(TimeSpan.FromDays(365 * 70), withIssuedAt: false));

        AssertRejected(await verifier.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.LifetimeTooLong, token);
    }

    [Fact]
    public async Task VerifyTokenAsync_WhenMaxTokenLifetimeIsShorter_ShouldApplyIt()
    {
        var options = VerifierFactory.Options();
        options.MaxTokenLifetime = TimeSpan.FromMinutes(5);
        var strict = VerifierFactory.Verifier(VerifierFactory.Cache(keys, options: options), options);
        var token = issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "JWT" }, TestIssuer.RawPayload(TimeSpan.FromMinutes(10), withIssuedAt: false));

        AssertRejected(await strict.VerifyTokenAsync(token, CancellationToken.None), TokenRejectionReason.LifetimeTooLong, token);
    }

    [Fact]
    public void IsAcceptedTokenType_WhenPrefixIsNotApplication_ShouldRefuse()
    {
        Assert.False(TokenVerifier.IsAcceptedTokenType("text/jwt"));
        Assert.True(TokenVerifier.IsAcceptedTokenType("APPLICATION/AT+JWT"));
    }
}
