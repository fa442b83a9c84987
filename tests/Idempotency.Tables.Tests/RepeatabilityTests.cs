using System.Globalization;
using System.Text.Json;
using Idempotency.Tables;
using Payments.Testing;

namespace Idempotency.Tables.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class RepeatabilityTests(AzuriteFixture azurite)
{
    private static IdempotentRequest Repeatable(string? requestId, string? firstSent, string body = """{"amount":1999,"currency":"EUR"}""", string? idempotencyKey = null) =>
        IdempotencyHarness.Request(idempotencyKey, body) with { Repeatability = RepeatabilityHeaders.From(requestId, firstSent) };

    private static string Imf(DateTimeOffset time) => time.ToString("r", CultureInfo.InvariantCulture);

    private static string? Result(IdempotentResponse response) =>
        response.Headers.Where(h => h.Key == RepeatabilityHeaders.ResultHeader).Select(h => h.Value).SingleOrDefault();

    private static string ProblemType(IdempotentResponse response) =>
        JsonDocument.Parse(response.Body).RootElement.GetProperty("type").GetString()!;

    [Fact]
    public async Task ProcessAsync_WhenARepeatableRequestIsRetried_ShouldExecuteOnceAndAcceptBoth()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        var firstSent = Imf(h.Time.GetUtcNow());

        var first = await h.Processor.ProcessAsync(Repeatable("8e03978e-40d5-43e8-bc93-6894a57f9324", firstSent), handler.Handle, CancellationToken.None);
        h.Time.Advance(TimeSpan.FromMinutes(3));
        var retry = await h.Processor.ProcessAsync(Repeatable("8e03978e-40d5-43e8-bc93-6894a57f9324", firstSent), handler.Handle, CancellationToken.None);

        Assert.Equal(1, handler.Executions);
        Assert.Equal((IdempotencyDisposition.Executed, "accepted"), (first.Disposition, Result(first)));
        Assert.Equal((IdempotencyDisposition.Replayed, "accepted"), (retry.Disposition, Result(retry)));
        Assert.Equal(first.Body.ToArray(), retry.Body.ToArray());
    }

    [Fact]
    public async Task ProcessAsync_WhenTheRequestIdWasUsedForADifferentBody_ShouldRejectWith422()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();
        var firstSent = Imf(h.Time.GetUtcNow());
        await h.Processor.ProcessAsync(Repeatable("r-1", firstSent), handler.Handle, CancellationToken.None);

        var other = await h.Processor.ProcessAsync(Repeatable("r-1", firstSent, """{"amount":5}"""), handler.Handle, CancellationToken.None);

        Assert.Equal((422, "rejected"), (other.StatusCode, Result(other)));
        Assert.Equal(1, handler.Executions);
    }

    [Fact]
    public async Task ProcessAsync_WhenARequestIdHasTheTextOfAnEarlierIdempotencyKey_ShouldTreatThemAsDifferentRequests()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var handler = new CountingHandler();

        var keyed = await h.Processor.ProcessAsync(IdempotencyHarness.Request("same-text"), handler.Handle, CancellationToken.None);
        var repeatable = await h.Processor.ProcessAsync(Repeatable("same-text", Imf(h.Time.GetUtcNow())), handler.Handle, CancellationToken.None);

        Assert.Equal(IdempotencyDisposition.Executed, keyed.Disposition);
        Assert.Null(Result(keyed)); // the Idempotency-Key family does not speak Repeatability-Result
        Assert.Equal(IdempotencyDisposition.Executed, repeatable.Disposition);
        Assert.Equal(2, handler.Executions);
    }

    public static TheoryData<string?, string?, bool, int, string> Refused => new()
    {
        { "r-1", null, false, 400, RepeatabilityHeaders.InvalidName },
        { null, "now", false, 400, RepeatabilityHeaders.InvalidName },
        { "has space", "now", false, 400, RepeatabilityHeaders.InvalidName },
        { new string('a', RepeatabilityHeaders.MaxRequestIdLength + 1), "now", false, 400, RepeatabilityHeaders.InvalidName },
        { "r-1", "2026-12-01T16:06:51Z", false, 400, RepeatabilityHeaders.InvalidName },
        { "r-1", "future", false, 400, RepeatabilityHeaders.InvalidName },
        { "r-1", "past-window", false, 412, RepeatabilityHeaders.ExpiredName },
        { "r-1", "now", true, 400, RepeatabilityHeaders.BothFamiliesName },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task ProcessAsync_WhenTheHeadersAreIncompleteMalformedOutsideTheWindowOrMixed_ShouldRejectWithoutRunningOrWriting(
        string? requestId, string? firstSent, bool withIdempotencyKey, int status, string problem)
    {
        var h = await IdempotencyHarness.CreateAsync(azurite);
        var now = h.Time.GetUtcNow();
        var sent = firstSent switch
        {
            "now" => Imf(now),
            "future" => Imf(now + RepeatabilityHeaders.AllowedClockSkew + TimeSpan.FromMinutes(1)),
            "past-window" => Imf(now - h.Options.Retention - TimeSpan.FromMinutes(1)),
            _ => firstSent,
        };
        var before = h.Counter.Total;

        var answer = await h.Processor.ProcessAsync(Repeatable(requestId, sent, idempotencyKey: withIdempotencyKey ? "k1" : null),
            (_, _) => throw new InvalidOperationException("must not run"), CancellationToken.None);

        Assert.Equal((status, "rejected"), (answer.StatusCode, Result(answer)));
        Assert.EndsWith("/" + problem, ProblemType(answer), StringComparison.Ordinal);
        Assert.Equal(before, h.Counter.Total); // refused before any storage call
    }

    [Fact]
    public async Task ProcessAsync_WhenRepeatabilityIsSwitchedOff_ShouldAnswer501AndNotRun()
    {
        var h = await IdempotencyHarness.CreateAsync(azurite, o => o.AcceptRepeatabilityHeaders = false);

        var answer = await h.Processor.ProcessAsync(Repeatable("r-1", Imf(h.Time.GetUtcNow())),
            (_, _) => throw new InvalidOperationException("must not run"), CancellationToken.None);

        Assert.Equal((501, "rejected"), (answer.StatusCode, Result(answer)));
        Assert.EndsWith("/" + RepeatabilityHeaders.NotSupportedName, ProblemType(answer), StringComparison.Ordinal);
    }
}
