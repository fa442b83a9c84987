using System.Net;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The app as Core Tools runs it (AZURE_FUNCTIONS_ENVIRONMENT=Development).</summary>
public sealed class DevelopmentAppFixture : PaymentsAppFixture
{
    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings[PaymentsAppSettings.EnvironmentSetting] = "Development";
    }
}

/// <summary>
/// Every other end-to-end test runs the app as Azure does (Production); these re-run the main paths under
/// Development, so nothing in the app changes behaviour silently with the environment.
/// </summary>
public sealed class DevelopmentEnvironmentTests(DevelopmentAppFixture fixture) : IClassFixture<DevelopmentAppFixture>
{
    [Fact]
    public async Task CreatePayment_WhenRunningAsDevelopment_ShouldChargeItAndReplayTheSameKeyAsInProduction()
    {
        var token = fixture.Settings.Token();
        var key = "dev-" + Guid.NewGuid();
        const string body = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";

        using var first = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", token, body, key);
        using var replay = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", token, body, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        var id = first.Headers.Location!.OriginalString.Split('/')[^1];
        var payment = await fixture.App.WaitForTerminalAsync(token, id);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1, await fixture.Settings.LedgerEntriesAsync(id));
    }

    [Theory]
    [InlineData("GET", "api/v2/payments", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "api/v1/payments", HttpStatusCode.MethodNotAllowed)]
    public async Task Send_WhenRunningAsDevelopment_ShouldAnswerUnroutedRequestsAsInProduction(string method, string path, HttpStatusCode expected)
    {
        using var response = await fixture.App.SendAsync(new HttpMethod(method), path, fixture.Settings.Token());

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Get_WhenRunningAsDevelopmentWithoutAToken_ShouldAnswer401()
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
