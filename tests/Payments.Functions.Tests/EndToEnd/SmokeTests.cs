using System.Net;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The app as built runs under the local host with no code written for it.</summary>
public sealed class SmokeTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    [Fact]
    public async Task Health_WhenStorageIsReachable_ShouldAnswer200WithoutAToken()
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("healthy", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePayment_WhenTheRequestIsValid_ShouldAnswer202WithLocationAndPendingPayment()
    {
        var token = fixture.Settings.Token();

        using var response = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", token,
            """{"amount":1999,"currency":"EUR","source":"tok_visa"}""", "smoke-" + Guid.NewGuid());

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        Assert.StartsWith("/api/v1/payments/pay_", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"pending\"", body, StringComparison.Ordinal);
    }
}
