using System.Net;
using System.Text;

namespace Payments.Functions.Tests.EndToEnd.Idempotency;

/// <summary>The Idempotency-Key contract over HTTP: which keys are accepted, what a retry gets, and what never claims a key.</summary>
public sealed class IdempotencyKeyTests(NoQueueConsumerAppFixture fixture) : IClassFixture<NoQueueConsumerAppFixture>
{
    private const string Payment = """{"amount":1500,"currency":"EUR","source":"tok_visa"}""";

    [Fact]
    public async Task CreatePayment_WhenTheKeyIsMissing_ShouldAnswer400AndExecuteNothing()
    {
        const string merchant = "merchant-no-key";

        using var response = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(0, await fixture.Settings.PaymentCountAsync(merchant));
    }

    public static TheoryData<string, string> InvalidKeys() => new()
    {
        { "empty", string.Empty },
        { "256 characters", new string('k', 256) },
        { "non-ASCII", "clé-" + Guid.NewGuid() },
        { "control character", "tab\there-" + Guid.NewGuid() },
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task CreatePayment_WhenTheKeyIsInvalid_ShouldAnswer400AndExecuteNothing(string what, string key)
    {
        var merchant = "merchant-bad-key-" + what.Replace(' ', '-');
        // The default client refuses to send non-ASCII header values; UTF-8 puts them on the wire as a client might.
        using var client = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 })
        {
            BaseAddress = fixture.App.Host.BaseUrl,
        };
        using var request = PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, key);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(0, await fixture.Settings.PaymentCountAsync(merchant));
    }

    [Fact]
    public async Task CreatePayment_WhenTheSameKeyIsSentQuotedThenBare_ShouldTreatTheSecondAsAReplay()
    {
        const string merchant = "merchant-quoted";
        var key = "quoted-" + Guid.NewGuid();

        using var first = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, $"\"{key}\"");
        using var second = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        AssertReplayOf(first, second);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyHoldsCharactersTableKeysForbid_ShouldExecuteOnceAndReplay()
    {
        const string merchant = "merchant-odd-key";
        var key = "a/b\\c#d?e-" + Guid.NewGuid();

        using var first = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, key);
        using var second = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, key);

        Assert.True(first.StatusCode == HttpStatusCode.Accepted, await first.Content.ReadAsStringAsync());
        AssertReplayOf(first, second);
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
    }

    [Fact]
    public async Task CreatePayment_WhenTwoSubjectsUseTheSameKey_ShouldCreateTwoIndependentPayments()
    {
        var key = "shared-" + Guid.NewGuid();

        using var first = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token("merchant-alpha"), Payment, key);
        using var second = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token("merchant-beta"), Payment, key);

        foreach (var response in new[] { first, second })
        {
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        }

        Assert.NotEqual(first.Headers.Location, second.Headers.Location);
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync("merchant-alpha"));
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync("merchant-beta"));
        using var strangers = await fixture.App.SendAsync(HttpMethod.Get, second.Headers.Location!.OriginalString.TrimStart('/'), Token("merchant-alpha"));
        Assert.Equal(HttpStatusCode.NotFound, strangers.StatusCode);
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeyWasUsedForAnotherBody_ShouldAnswer422AndExecuteNothing()
    {
        const string merchant = "merchant-mismatch";
        var key = "mismatch-" + Guid.NewGuid();
        using var first = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, key);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        using var second = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant),
            """{"amount":1501,"currency":"EUR","source":"tok_visa"}""", key);

        await AssertProblemAsync(second, HttpStatusCode.UnprocessableEntity, "Idempotency-Key");
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
    }

    public static TheoryData<string, HttpStatusCode> RefusedBodies() => new()
    {
        { "bad JSON", HttpStatusCode.BadRequest },
        { "wrong content type", HttpStatusCode.UnsupportedMediaType },
        { "unknown property", HttpStatusCode.BadRequest },
        { "over 64 KiB", HttpStatusCode.RequestEntityTooLarge },
    };

    [Theory]
    [MemberData(nameof(RefusedBodies))]
    public async Task CreatePayment_WhenTheBodyIsRefused_ShouldNotClaimTheKeySoAValidRetryExecutes(string what, HttpStatusCode expected)
    {
        var merchant = "merchant-refused-" + what.Replace(' ', '-');
        var key = "refused-" + Guid.NewGuid();
        using var refused = PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", Token(merchant), idempotencyKey: key);
        refused.Content = what switch
        {
            "bad JSON" => new StringContent("""{"amount":1500,"currency":""", Encoding.UTF8, "application/json"),
            "wrong content type" => new StringContent(Payment, Encoding.UTF8, "text/plain"),
            "unknown property" => new StringContent("""{"amount":1500,"currency":"EUR","source":"tok_visa","tip":5}""", Encoding.UTF8, "application/json"),
            "over 64 KiB" => new StringContent(
                $$"""{"amount":1500,"currency":"EUR","source":"tok_visa","description":"{{new string('x', 70 * 1024)}}"}""", Encoding.UTF8, "application/json"),
            _ => throw new ArgumentOutOfRangeException(nameof(what), what, "no such case"),
        };

        using var refusal = await fixture.App.Client.SendAsync(refused);
        await AssertProblemAsync(refusal, expected, null);
        Assert.Equal(0, await fixture.Settings.PaymentCountAsync(merchant));

        using var retry = await fixture.App.SendAsync(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, key);

        Assert.True(retry.StatusCode == HttpStatusCode.Accepted, $"{(int)retry.StatusCode} {await retry.Content.ReadAsStringAsync()}");
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
    }

    [Theory]
    [InlineData("api/v1/payments", """{"amount":990,"currency":"EUR","source":"tok_visa","description":"replay me"}""", HttpStatusCode.Accepted)]
    [InlineData("api/v1/customers", """{"email":"replay@example.com","name":"Replay"}""", HttpStatusCode.Created)]
    public async Task Create_WhenRetriedAfterCompletion_ShouldReplayStatusHeadersAndBodyByteForByte(string path, string json, HttpStatusCode created)
    {
        var token = Token("merchant-replay");
        var key = "replay-" + Guid.NewGuid();

        using var first = await fixture.App.SendAsync(HttpMethod.Post, path, token, json, key);
        using var second = await fixture.App.SendAsync(HttpMethod.Post, path, token, json, key);

        Assert.True(first.StatusCode == created, await first.Content.ReadAsStringAsync());
        Assert.NotNull(first.Headers.Location);
        Assert.NotNull(first.Headers.ETag);
        AssertReplayOf(first, second);
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(first.Content.Headers.ContentType?.ToString(), second.Content.Headers.ContentType?.ToString());
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task CreatePayment_WhenSentAsARepeatableRequestTwice_ShouldAcceptOnePaymentAndReplayIt()
    {
        const string merchant = "merchant-repeatable";
        var requestId = Guid.NewGuid().ToString();
        var firstSent = DateTimeOffset.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture);

        using var first = await SendRepeatableAsync(merchant, requestId, firstSent);
        using var second = await SendRepeatableAsync(merchant, requestId, firstSent);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(["accepted"], first.Headers.GetValues("Repeatability-Result"));
        AssertReplayOf(first, second);
        Assert.Equal(["accepted"], second.Headers.GetValues("Repeatability-Result"));
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
    }

    [Fact]
    public async Task CreatePayment_WhenBothIdempotencyHeaderFamiliesAreSent_ShouldAnswer400AndExecuteNothing()
    {
        const string merchant = "merchant-both-families";
        using var request = PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment, "key-" + Guid.NewGuid());
        request.Headers.Add("Repeatability-Request-ID", Guid.NewGuid().ToString());
        request.Headers.Add("Repeatability-First-Sent", DateTimeOffset.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture));

        using var response = await fixture.App.Client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(["rejected"], response.Headers.GetValues("Repeatability-Result"));
        Assert.Equal(0, await fixture.Settings.PaymentCountAsync(merchant));
    }

    private async Task<HttpResponseMessage> SendRepeatableAsync(string merchant, string requestId, string firstSent)
    {
        using var request = PaymentsApp.Request(HttpMethod.Post, "api/v1/payments", Token(merchant), Payment);
        request.Headers.Add("Repeatability-Request-ID", requestId);
        request.Headers.Add("Repeatability-First-Sent", firstSent);
        return await fixture.App.Client.SendAsync(request);
    }

    private string Token(string merchant) => fixture.Settings.Token(subject: merchant);

    private static void AssertReplayOf(HttpResponseMessage first, HttpResponseMessage replay)
    {
        Assert.Equal(first.StatusCode, replay.StatusCode);
        Assert.Equal(["true"], replay.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string? mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (mentions is not null)
        {
            Assert.Contains(mentions, body, StringComparison.Ordinal);
        }
    }
}
