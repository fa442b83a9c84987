using System.Net;
using System.Text.Json;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// Every answer of the app carries <c>X-Content-Type-Options: nosniff</c>; errors and caller data carry
/// <c>Cache-Control: no-store</c>, whichever layer answered (function, authentication, body check, idempotency replay).
/// </summary>
public sealed class SecurityHeaderTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    private const string ValidPayment = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";

    public static TheoryData<string> Answers() =>
    [
        "list (200)", "no token (401)", "read-only token writes (403)", "malformed JSON (400)", "unknown payment (404)",
        "created (201)", "replayed (201)", "bad cursor (400)",
    ];

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Answer_WhenItCarriesCallerDataOrAnError_ShouldBeNoSniffAndNoStore(string answer)
    {
        using var response = await SendAsync(answer);

        Assert.True((int)response.StatusCode is >= 200 and < 500, $"{answer}: {(int)response.StatusCode}");
        AssertNoSniff(response);
        Assert.True(response.Headers.CacheControl is { NoStore: true, Public: false }, $"{answer}: Cache-Control was '{response.Headers.CacheControl}'");
    }

    [Fact]
    public async Task Health_WhenStorageIsReachable_ShouldSayOnlyHealthyAndBeNoSniff()
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNoSniff(response);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var property = Assert.Single(body.RootElement.EnumerateObject());
        Assert.Equal("status", property.Name);
        Assert.Equal("healthy", property.Value.GetString());
    }

    [Fact]
    public async Task OpenApiDocument_WhenFetched_ShouldBeNoSniffAndStayPubliclyCacheable()
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNoSniff(response);
        Assert.True(response.Headers.CacheControl is { Public: true, NoStore: false }, $"Cache-Control was '{response.Headers.CacheControl}'");
    }

    private static void AssertNoSniff(HttpResponseMessage response) =>
        Assert.Equal(["nosniff"], response.Headers.TryGetValues("X-Content-Type-Options", out var values) ? values : []);

    private async Task<HttpResponseMessage> SendAsync(string answer)
    {
        var app = fixture.App;
        var token = fixture.Settings.Token(subject: "merchant-headers");
        switch (answer)
        {
            case "list (200)":
                return await app.SendAsync(HttpMethod.Get, "api/v1/payments", token);
            case "no token (401)":
                return await app.SendAsync(HttpMethod.Get, "api/v1/payments");
            case "read-only token writes (403)":
                return await app.SendAsync(HttpMethod.Post, "api/v1/payments", fixture.Settings.Token(subject: "merchant-headers", scope: "payments:read"),
                    ValidPayment, "headers-" + Guid.NewGuid());
            case "malformed JSON (400)":
                return await app.SendAsync(HttpMethod.Post, "api/v1/payments", token, "{\"amount\":", "headers-" + Guid.NewGuid());
            case "unknown payment (404)":
                return await app.SendAsync(HttpMethod.Get, "api/v1/payments/pay_" + new string('0', 35), token);
            case "created (201)":
                return await app.SendAsync(HttpMethod.Post, "api/v1/payments", token, ValidPayment, "headers-" + Guid.NewGuid());
            case "replayed (201)":
                var key = "headers-" + Guid.NewGuid();
                (await app.SendAsync(HttpMethod.Post, "api/v1/payments", token, ValidPayment, key)).Dispose();
                var replay = await app.SendAsync(HttpMethod.Post, "api/v1/payments", token, ValidPayment, key);
                Assert.True(replay.Headers.Contains("Idempotent-Replayed"), "the second answer is a replay");
                return replay;
            case "bad cursor (400)":
                return await app.SendAsync(HttpMethod.Get, "api/v1/payments?cursor=nope", token);
            default:
                throw new ArgumentOutOfRangeException(nameof(answer), answer, "no such case");
        }
    }
}
