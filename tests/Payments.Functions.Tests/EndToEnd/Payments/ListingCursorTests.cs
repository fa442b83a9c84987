using System.Net;

namespace Payments.Functions.Tests.EndToEnd.Payments;

/// <summary>A listing cursor is opaque but decodable: one whose time is not a sane date was made up, and is refused.</summary>
public sealed class ListingCursorTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    [Fact]
    public async Task ListPayments_WhenTheCursorTimeIsNotASaneDate_ShouldAnswer400NamingTheCursor()
    {
        var cursor = new global::Payments.Core.Payments.PaymentCursor(DateTimeOffset.MaxValue, global::Payments.Core.Payments.PaymentId.New("abc").Value).Encode();

        using var response = await fixture.App.SendAsync(HttpMethod.Get, "api/v1/payments?cursor=" + cursor, fixture.Settings.Token(subject: "merchant-cursor"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"cursor\"", body, StringComparison.Ordinal);
    }
}
