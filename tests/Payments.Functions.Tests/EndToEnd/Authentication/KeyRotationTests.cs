using System.Net;
using Microsoft.IdentityModel.Tokens;

namespace Payments.Functions.Tests.EndToEnd.Authentication;

/// <summary>
/// The issuer rotates its keys while the app runs: the app follows the published JWKS without a restart. The periodic
/// refresh (Jwt:KeyRefreshInterval) cannot be made shorter than a minute, so these tests rely on the other refresh the
/// app makes: a token naming an unknown kid fetches the keys again (at most once per Jwt:UnknownKeyRefreshInterval,
/// 1 s here), which is also how a real rotation is first noticed.
/// </summary>
public sealed class KeyRotationTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    [Fact]
    public async Task ListPayments_WhenANewKeyIsPublishedAfterStart_ShouldAcceptItsTokensWithoutRestart()
    {
        var issuer = fixture.Settings.Issuer;
        var rotated = issuer.NewRsaKey("rsa-rotated-" + Guid.NewGuid().ToString("N")[..8]);
        // The app has already loaded the keys it started with.
        Assert.Equal(HttpStatusCode.OK, await ListWithAsync(issuer.Rsa));

        fixture.Settings.PublishKeys(issuer.Rsa, rotated);

        // The first attempt may fall inside the unknown-kid refresh's rate limit; a retry a moment later must pass.
        await Eventually.UntilAsync(() => ListWithAsync(rotated), status => status == HttpStatusCode.OK, "a token signed with the newly published key is accepted");
        Assert.Equal(HttpStatusCode.OK, await ListWithAsync(issuer.Rsa));
    }

    [Fact]
    public async Task ListPayments_WhenAKeyIsRemovedFromTheJwks_ShouldRejectItsTokensAfterTheNextRefresh()
    {
        var issuer = fixture.Settings.Issuer;
        var retiring = issuer.NewRsaKey("rsa-retiring-" + Guid.NewGuid().ToString("N")[..8]);
        var successor = issuer.NewRsaKey("rsa-successor-" + Guid.NewGuid().ToString("N")[..8]);
        fixture.Settings.PublishKeys(issuer.Rsa, retiring);
        await Eventually.UntilAsync(() => ListWithAsync(retiring), status => status == HttpStatusCode.OK, "a token signed with the retiring key is accepted");

        fixture.Settings.PublishKeys(issuer.Rsa, successor);
        await Eventually.UntilAsync(() => ListWithAsync(successor), status => status == HttpStatusCode.OK, "the successor key is fetched");

        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", Token(retiring));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ListWithAsync(issuer.Rsa));
    }

    private string Token(SecurityKey key) => fixture.Settings.Issuer.Token(key: key, subject: "merchant-rotation", scope: "payments:read");

    private async Task<HttpStatusCode> ListWithAsync(SecurityKey key)
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments", Token(key));
        return response.StatusCode;
    }
}
