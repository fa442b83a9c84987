using System.Net;
using System.Text;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Payments.Functions.Tests.EndToEnd.Idempotency;

/// <summary>
/// The app with a 3-second lock, so that a crashed attempt's key is taken over quickly, yet a retry sent right after the
/// crash reliably reaches the app while the lock holds, even on a loaded machine.
/// </summary>
public sealed class ShortLockAppFixture : NoQueueConsumerAppFixture
{
    public const int LockSeconds = 3;

    protected override void Configure(Dictionary<string, string> settings)
    {
        base.Configure(settings);
        settings["Idempotency:LockSeconds"] = LockSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Records left behind by attempts that died, or that outlived their retention, written straight into the app's tables
/// with the same store, keys and fingerprint the middleware uses; then the app is retried over HTTP.
/// </summary>
public sealed class IdempotencyRecoveryTests(ShortLockAppFixture fixture) : IClassFixture<ShortLockAppFixture>
{
    private const string Path = "/api/v1/payments";
    private const string ContentType = "application/json; charset=utf-8";

    [Fact]
    public async Task CreatePayment_WhenAnAttemptClaimedTheKeyAndDied_ShouldAnswer409UntilTheLockExpiresThenExecuteOnceAndReplay()
    {
        const string merchant = "merchant-crashed";
        var key = "crashed-" + Guid.NewGuid();
        var json = """{"amount":3100,"currency":"EUR","source":"tok_visa"}""";
        var token = fixture.Settings.Token(subject: merchant);
        // Warm the path up, so the first retry below reaches the app while the dead attempt's lock still holds.
        using (var warmUp = await PostAsync(token, json, "warm-up-" + Guid.NewGuid()))
        {
            Assert.Equal(HttpStatusCode.Accepted, warmUp.StatusCode);
        }

        var crashed = await Store(TimeProvider.System, new IdempotencyOptions { LockSeconds = ShortLockAppFixture.LockSeconds })
            .ClaimAsync(merchant, IdempotencyKey.Parse(key), Fingerprint(json), CancellationToken.None);
        Assert.IsType<ClaimOutcome.Claimed>(crashed);

        using (var whileLocked = await PostAsync(token, json, key))
        {
            Assert.True(whileLocked.StatusCode == HttpStatusCode.Conflict, await whileLocked.Content.ReadAsStringAsync());
            Assert.NotNull(whileLocked.Headers.RetryAfter);
        }

        var takeover = await Eventually.UntilAsync(async () =>
        {
            using var response = await PostAsync(token, json, key);
            return (response.StatusCode, Replayed: response.Headers.Contains("Idempotent-Replayed"), Body: await response.Content.ReadAsByteArrayAsync());
        }, answer => answer.StatusCode != HttpStatusCode.Conflict, "the dead attempt's lock expires and a retry takes the key over");

        Assert.True(takeover.StatusCode == HttpStatusCode.Accepted, Encoding.UTF8.GetString(takeover.Body));
        Assert.False(takeover.Replayed);
        using var replay = await PostAsync(token, json, key);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal(["true"], replay.Headers.GetValues("Idempotent-Replayed"));
        Assert.Equal(takeover.Body, await replay.Content.ReadAsByteArrayAsync());
        Assert.Equal(2, await fixture.Settings.PaymentCountAsync(merchant)); // the warm-up's and the retried one
        var record = await fixture.Settings.Table(fixture.Settings.Tables.PaymentsTable).GetEntityAsync<Azure.Data.Tables.TableEntity>(
            IdempotencyRecordKey.For(merchant, IdempotencyKey.Parse(key)).PartitionKey, IdempotencyRecordKey.For(merchant, IdempotencyKey.Parse(key)).RowKey);
        // Payments run claimless: the in-progress record a dead claim-first attempt left is honoured until its lock
        // expires, then replaced by the one batch that carried the payment, with that batch's own attempt id.
        Assert.Equal("completed", record.Value.GetString("State"));
        Assert.False(string.IsNullOrEmpty(record.Value.GetString("AttemptId")));
    }

    [Fact]
    public async Task CreatePayment_WhenTheKeysRecordOutlivedItsRetention_ShouldTreatTheKeyAsNew()
    {
        const string merchant = "merchant-expired";
        var key = "expired-" + Guid.NewGuid();
        var token = fixture.Settings.Token(subject: merchant);
        // A completed outcome from three hours ago, kept for one hour: it expired two hours ago.
        var old = await Store(new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3)), new IdempotencyOptions { LockSeconds = ShortLockAppFixture.LockSeconds, RetentionHours = 1 })
            .ClaimAsync(merchant, IdempotencyKey.Parse(key), Fingerprint("""{"amount":1,"currency":"EUR","source":"tok_visa"}"""), CancellationToken.None);
        var lease = Assert.IsType<ClaimOutcome.Claimed>(old).Lease;
        Assert.Equal(LeaseCompletion.Completed,
            await lease.CompleteAsync(new StoredResponse(202, [new("Content-Type", "application/json")], "{\"stale\":true}"u8.ToArray()), CancellationToken.None));

        // Another body under the same key: an expired record is absent, so this is neither a replay nor a mismatch.
        using var response = await PostAsync(token, """{"amount":4400,"currency":"EUR","source":"tok_visa"}""", key);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        Assert.DoesNotContain("stale", body, StringComparison.Ordinal);
        Assert.Equal(1, await fixture.Settings.PaymentCountAsync(merchant));
    }

    private IdempotencyStore Store(TimeProvider time, IdempotencyOptions options) =>
        new(fixture.Settings.Table(fixture.Settings.Tables.PaymentsTable), options, time, NullLogger<IdempotencyStore>.Instance);

    /// <summary>What the middleware computes for the request <see cref="PostAsync"/> sends.</summary>
    private static RequestFingerprint Fingerprint(string json) => RequestFingerprint.Compute("POST", Path, ContentType, Encoding.UTF8.GetBytes(json));

    private async Task<HttpResponseMessage> PostAsync(string token, string json, string key)
    {
        using var request = PaymentsApp.Request(HttpMethod.Post, Path.TrimStart('/'), token, json, key);
        Assert.Equal(ContentType, request.Content!.Headers.ContentType!.ToString());
        return await fixture.App.Client.SendAsync(request);
    }
}
