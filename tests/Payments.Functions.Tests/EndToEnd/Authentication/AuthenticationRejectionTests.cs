using System.Net;
using System.Net.Http.Headers;

namespace Payments.Functions.Tests.EndToEnd.Authentication;

/// <summary>
/// Every kind of bad credential, sent over HTTP to a creating endpoint with a valid body and a fresh Idempotency-Key:
/// refused by the authentication middleware before anything runs, so nothing reaches storage.
/// </summary>
public sealed class AuthenticationRejectionTests(NoQueueConsumerAppFixture fixture) : IClassFixture<NoQueueConsumerAppFixture>
{
    private const string ValidPayment = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";

    public static TheoryData<string> BadCredentials() =>
    [
        "no header", "basic scheme", "malformed token", "expired", "not yet valid", "wrong issuer", "wrong audience", "bad signature",
        "payload tampered after signing", "alg none", "HS256 with the RSA public key as secret", "unknown kid", "missing sub",
        "crit header", "typ is not a JWT", "lifetime over 24 h", "exp in 2099 without iat",
    ];

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task CreatePayment_WhenTheCredentialIsBad_ShouldAnswer401AndLeaveNoTraceInStorage(string credential)
    {
        var authorization = Authorization(credential);
        using var request = PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", json: ValidPayment, idempotencyKey: "auth-" + Guid.NewGuid());
        request.Headers.Authorization = authorization;

        using var response = await fixture.App.Client.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{credential}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"status\":401", body, StringComparison.Ordinal);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        if (credential is "no header" or "basic scheme")
        {
            // RFC 6750 §3.1: no bearer credentials at all gets the bare challenge, without an error code.
            Assert.Equal("Bearer", challenge.ToString());
        }
        else
        {
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.StartsWith("error=\"invalid_token\", error_description=\"", challenge.Parameter, StringComparison.Ordinal);
        }

        if (authorization?.Parameter is { } secret)
        {
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.App.Logs, line => line.Contains(secret, StringComparison.Ordinal));
        }

        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task CreatePayment_WhenTheTokenOnlyGrantsRead_ShouldAnswer403InsufficientScopeAndLeaveNoTrace()
    {
        var token = fixture.Settings.Token(subject: "merchant-read-only", scope: "payments:read");

        using var response = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", token, ValidPayment, "scope-" + Guid.NewGuid());

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Contains("error=\"insufficient_scope\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("scope=\"payments:write\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.DoesNotContain(token, body, StringComparison.Ordinal);
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task ListPayments_WhenTheTokenOnlyGrantsWrite_ShouldAnswer403InsufficientScope()
    {
        var token = fixture.Settings.Token(subject: "merchant-write-only", scope: "payments:write");

        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", token);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, body);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Contains("error=\"insufficient_scope\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("scope=\"payments:read\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.DoesNotContain(token, body, StringComparison.Ordinal);
    }

    private AuthenticationHeaderValue? Authorization(string credential)
    {
        var issuer = fixture.Settings.Issuer;
        var now = DateTime.UtcNow;
        return credential switch
        {
            "no header" => null,
            "basic scheme" => new AuthenticationHeaderValue("Basic", Convert.ToBase64String("merchant-1:secret"u8.ToArray())),
            "malformed token" => Bearer("this-is-not-a-jwt"),
            "expired" => Bearer(issuer.Token(notBefore: now.AddMinutes(-20), expires: now.AddMinutes(-10))),
            "not yet valid" => Bearer(issuer.Token(notBefore: now.AddMinutes(10), expires: now.AddMinutes(20))),
            "wrong issuer" => Bearer(issuer.Token(issuer: "https://someone-else.test/")),
            "wrong audience" => Bearer(issuer.Token(audience: "api://another-api")),
            // Same kid as the published key, signed by another private key.
            "bad signature" => Bearer(issuer.Token(key: issuer.NewRsaKey(issuer.Rsa.KeyId!))),
            "payload tampered after signing" => Bearer(TestIssuer.Tamper(issuer.Token(subject: "merchant-1"), "merchant-2")),
            "alg none" => Bearer(TestIssuer.UnsignedToken()),
            "HS256 with the RSA public key as secret" => Bearer(issuer.HmacWithPublicKeyToken()),
            "unknown kid" => Bearer(issuer.Token(key: issuer.AliasOfMainKey("never-published-" + Guid.NewGuid().ToString("N")[..8]))),
            "missing sub" => Bearer(issuer.Token(subject: null)),
            "crit header" => Bearer(issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "JWT", ["crit"] = new[] { "x-ext" }, ["x-ext"] = true },
                TestIssuer.RawPayload(TimeSpan.FromMinutes(10)))),
            "typ is not a JWT" => Bearer(issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "secevent+jwt" }, TestIssuer.RawPayload(TimeSpan.FromMinutes(10)))),
            "lifetime over 24 h" => Bearer(issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "at+jwt" }, TestIssuer.RawPayload(TimeSpan.FromHours(25)))),
            "exp in 2099 without iat" => Bearer(issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = "JWT" },
                TestIssuer.RawPayload(new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero) - DateTimeOffset.UtcNow, withIssuedAt: false))),
            _ => throw new ArgumentOutOfRangeException(nameof(credential), credential, "no such case"),
        };

        static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
    }

    private async Task AssertNoTraceAsync()
    {
        var settings = fixture.Settings;
        Assert.Equal(0, await settings.CountAsync(settings.Tables.PaymentsTable));
        Assert.Equal(0, await settings.CountAsync(settings.Tables.CustomersTable));
        Assert.Equal(0, await settings.CountAsync(settings.Tables.IdempotencyTable));
        Assert.Empty(await settings.QueuedMessagesAsync());
    }
}
