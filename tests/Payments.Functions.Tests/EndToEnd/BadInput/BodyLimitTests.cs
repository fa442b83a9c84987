using System.Net;
using System.Text.Json;

namespace Payments.Functions.Tests.EndToEnd.BadInput;

/// <summary>An app whose one body limit, Idempotency:MaxRequestBodyBytes, is raised from the default 64 KiB to 1 MiB.</summary>
public sealed class RaisedBodyLimitFixture : PaymentsAppFixture
{
    public const int Limit = 1024 * 1024;

    protected override void Configure(Dictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Idempotency:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class BodyLimitTests(RaisedBodyLimitFixture fixture) : IClassFixture<RaisedBodyLimitFixture>
{
    /// <summary>A valid payment padded with JSON whitespace to <paramref name="bytes"/> bytes.</summary>
    private static string PaymentOf(int bytes)
    {
        const string Payment = """{"amount":1999,"currency":"EUR","source":"tok_visa"}""";
        return Payment[..^1] + new string(' ', bytes - Payment.Length) + "}";
    }

    [Fact]
    public async Task CreatePayment_WhenTheBodyIsOver64KiBButWithinTheRaisedLimit_ShouldAccept()
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", fixture.Settings.Token(),
            PaymentOf(100 * 1024), "raised-limit-" + Guid.NewGuid().ToString("N"));

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreatePayment_WhenTheBodyIsOverTheRaisedLimit_ShouldAnswer413NamingTheLimit()
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", fixture.Settings.Token(),
            PaymentOf(RaisedBodyLimitFixture.Limit + 1), "raised-limit-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(RaisedBodyLimitFixture.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
