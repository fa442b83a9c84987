using System.Net;
using System.Text;

namespace Payments.Functions.Tests.EndToEnd.Idempotency;

/// <summary>Many copies of one request, sent at once over HTTP: the idempotency layer lets exactly one execute.</summary>
public sealed class IdempotencyConcurrencyTests(NoQueueConsumerAppFixture fixture) : IClassFixture<NoQueueConsumerAppFixture>
{
    [Fact]
    public async Task CreatePayment_When100IdenticalRequestsShareANewKey_ShouldExecuteOnceAndAnswerTheRestWith409OrAnIdenticalReplay()
    {
        const string merchant = "merchant-hundred";
        var token = fixture.Settings.Token(subject: merchant);
        var key = "hundred-" + Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            SendAsync(token, key, """{"amount":4200,"currency":"EUR","source":"tok_visa"}""")));

        var executed = Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted && !a.Replayed);
        Assert.All(answers.Where(a => !ReferenceEquals(a, executed)), a =>
        {
            if (a.Status == HttpStatusCode.Conflict)
            {
                Assert.NotNull(a.RetryAfter);
            }
            else
            {
                Assert.True(a.Status == HttpStatusCode.Accepted && a.Replayed, $"{(int)a.Status}: {Encoding.UTF8.GetString(a.Body)}");
                Assert.Equal(executed.Body, a.Body);
                Assert.Equal(executed.Location, a.Location);
            }
        });

        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
        var paymentId = executed.Location![(executed.Location!.LastIndexOf('/') + 1)..];
        Assert.Single(await fixture.Settings.QueuedMessagesAsync(), message => message.Contains(paymentId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreatePayment_When50DifferentRequestsShareOneKey_ShouldExecuteOneAndAnswerTheRestWith409Or422()
    {
        const string merchant = "merchant-fifty";
        var token = fixture.Settings.Token(subject: merchant);
        var key = "fifty-" + Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(1, 50).Select(amount =>
            SendAsync(token, key, $$"""{"amount":{{amount}},"currency":"EUR","source":"tok_visa"}""")));

        var executed = Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted);
        Assert.False(executed.Replayed);
        Assert.All(answers.Where(a => !ReferenceEquals(a, executed)), a =>
            Assert.True(a.Status is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity, $"{(int)a.Status}: {Encoding.UTF8.GetString(a.Body)}"));
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
        var paymentId = executed.Location![(executed.Location!.LastIndexOf('/') + 1)..];
        Assert.Single(await fixture.Settings.QueuedMessagesAsync(), message => message.Contains(paymentId, StringComparison.Ordinal));
    }

    private async Task<Answer> SendAsync(string token, string key, string json)
    {
        using var response = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", token, json, key);
        return new Answer(
            response.StatusCode,
            response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.SequenceEqual(["true"]),
            response.Headers.RetryAfter?.ToString(),
            response.Headers.Location?.OriginalString,
            await response.Content.ReadAsByteArrayAsync());
    }

    private sealed record Answer(HttpStatusCode Status, bool Replayed, string? RetryAfter, string? Location, byte[] Body);
}
