using System.Net;

namespace Payments.Functions.Tests.EndToEnd.Authentication;

/// <summary>An app started with <c>Jwt:RequireTokenType=true</c>: a token must say it is a JWT access token.</summary>
public sealed class RequireTokenTypeAppFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Jwt:RequireTokenType"] = "true";
    }
}

public sealed class TokenTypeTests(RequireTokenTypeAppFixture fixture) : IClassFixture<RequireTokenTypeAppFixture>
{
    [Fact]
    public async Task ListPayments_WhenTypIsRequiredAndMissing_ShouldAnswer401()
    {
        var token = fixture.Settings.Issuer.SignedRaw(new Dictionary<string, object?>(), TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", token);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, body);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error=\"invalid_token\"", challenge, StringComparison.Ordinal);
        Assert.Contains("no 'typ' header", challenge, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("application/AT+JWT")]
    [InlineData("JWT")]
    public async Task ListPayments_WhenTypIsRequiredAndAJwtType_ShouldAnswer200(string typ)
    {
        var token = fixture.Settings.Issuer.SignedRaw(new Dictionary<string, object?> { ["typ"] = typ }, TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>An app with default token settings: <c>typ</c> is optional.</summary>
public sealed class OptionalTokenTypeTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    [Fact]
    public async Task ListPayments_WhenTypIsMissingAndNotRequired_ShouldAnswer200()
    {
        var token = fixture.Settings.Issuer.SignedRaw(new Dictionary<string, object?>(), TestIssuer.RawPayload(TimeSpan.FromMinutes(10)));

        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ListPayments_WhenTheKeySetBecomesEmpty_ShouldKeepTheLastGoodKeysWhileTheyAreFresh()
    {
        var settings = fixture.Settings;
        var rotated = settings.Issuer.NewRsaKey("rsa-fresh-" + Guid.NewGuid().ToString("N")[..8]);
        settings.PublishKeys(settings.Issuer.Rsa, rotated);
        await Eventually.UntilAsync(() => StatusWith(rotated), status => status == HttpStatusCode.OK, "the rotated key is fetched");

        // An empty set is a failed fetch, not a revocation of every key. A token naming an unknown kid makes the app fetch
        // (at most once per Jwt:UnknownKeyRefreshInterval); the app's log says when it has fetched the empty set.
        settings.PublishKeys();
        var unknown = settings.Issuer.AliasOfMainKey("never-published-" + Guid.NewGuid().ToString("N")[..8]);
        await Eventually.TrueAsync(async () =>
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(unknown));
            return fixture.App.Logs.Any(line => line.Contains("holds no asymmetric signing key", StringComparison.Ordinal));
        }, "the app fetched the empty key set");

        Assert.Equal(HttpStatusCode.OK, await StatusWith(rotated));
        settings.PublishKeys(settings.Issuer.Rsa);
    }

    private async Task<HttpStatusCode> StatusWith(Microsoft.IdentityModel.Tokens.SecurityKey key)
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", fixture.Settings.Issuer.Token(key: key, scope: "payments:read"));
        return response.StatusCode;
    }
}

/// <summary>An app whose issuer publishes no usable key when it starts.</summary>
public sealed class NoUsableKeysAppFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        Settings.PublishKeys();
    }
}

public sealed class KeyAvailabilityTests(NoUsableKeysAppFixture fixture) : IClassFixture<NoUsableKeysAppFixture>
{
    [Fact]
    public async Task ListPayments_WhenNoUsableKeyWasEverFetched_ShouldFailClosedWith503UntilKeysArePublished()
    {
        using (var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", fixture.Settings.Token()))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Contains("authentication-unavailable", body, StringComparison.Ordinal);
        }

        fixture.Settings.PublishKeys(fixture.Settings.Issuer.Rsa);

        await Eventually.UntilAsync(
            async () =>
            {
                using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", fixture.Settings.Token());
                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK, "the published keys are fetched");
    }
}
