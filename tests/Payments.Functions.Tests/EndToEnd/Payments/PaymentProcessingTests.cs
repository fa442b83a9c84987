using Azure.Data.Tables;
using Payments.Core.Payments;
using Payments.Core.Payments.Gateway;

namespace Payments.Functions.Tests.EndToEnd.Payments;

/// <summary>
/// Payments accepted over HTTP and charged by the queue functions of one running app: the test tokens' terminal
/// states, at-least-once delivery (duplicates, also concurrent), a worker that dies mid-payment, unreadable messages.
/// </summary>
public sealed class PaymentProcessingTests(PaymentsAppFixture fixture) : IClassFixture<PaymentsAppFixture>
{
    private PaymentsApp App => fixture.App;

    private PaymentsAppSettings Settings => fixture.Settings;

    [Fact]
    public async Task ProcessPayment_WhenSourceIsATestToken_ShouldReachThatTokensTerminalState()
    {
        var token = Settings.Token();
        var visa = await App.CreatePaymentAsync(token, SimulatedPaymentGateway.SucceedingSource);
        var declined = await App.CreatePaymentAsync(token, SimulatedPaymentGateway.DecliningSource);
        var failing = await App.CreatePaymentAsync(token, SimulatedPaymentGateway.FailingSource);

        // tok_processingError fails every attempt: maxDequeueCount (5) deliveries 2 s apart, then the poison function.
        var settled = await Task.WhenAll(
            App.WaitForTerminalAsync(token, visa),
            App.WaitForTerminalAsync(token, declined),
            App.WaitForTerminalAsync(token, failing));

        Assert.Equal(("succeeded", null), Outcome(settled[0]));
        Assert.Equal(("failed", FailureCodes.CardDeclined), Outcome(settled[1]));
        Assert.Equal(("failed", FailureCodes.ProcessingError), Outcome(settled[2]));
        Assert.Equal(1, await Settings.LedgerEntriesAsync(visa));
        Assert.Equal(0, await Settings.LedgerEntriesAsync(declined));
        Assert.Equal(0, await Settings.LedgerEntriesAsync(failing));
        Assert.Contains(App.Logs, line => line.StartsWith("Error", StringComparison.Ordinal) && line.Contains(failing, StringComparison.Ordinal)
            && line.Contains("exhausted its retries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessPayment_WhenTheMessageIsDeliveredTenTimesAtOnce_ShouldChargeOnce()
    {
        var token = Settings.Token();
        var id = await App.CreatePaymentAsync(token);

        // Nine duplicates of the message POST enqueued, sent together while the first may still be running.
        await Task.WhenAll(Enumerable.Range(0, 9).Select(_ => Settings.SendPaymentMessageAsync(PaymentsAppExtensions.MessageFor(id))));

        var payment = await App.WaitForTerminalAsync(token, id);
        await WaitUntilEveryDeliveryIsHandledAsync(id, 10);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1, await Settings.LedgerEntriesAsync(id));
    }

    [Fact]
    public async Task ProcessPayment_WhenDuplicatesArriveAfterTheChargeSettled_ShouldChargeOnceAndChangeNothing()
    {
        var token = Settings.Token();
        var id = await App.CreatePaymentAsync(token);
        var settled = await App.WaitForTerminalAsync(token, id);

        for (var i = 0; i < 9; i++)
        {
            await Settings.SendPaymentMessageAsync(PaymentsAppExtensions.MessageFor(id));
        }

        await WaitUntilEveryDeliveryIsHandledAsync(id, 10);
        var after = await App.GetPaymentAsync(token, id);
        Assert.Equal(settled.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal("succeeded", after.GetProperty("status").GetString());
        Assert.Equal(1, await Settings.LedgerEntriesAsync(id));
    }

    [Fact]
    public async Task ProcessPayment_WhenACrashedAttemptLeftThePaymentProcessingAndCharged_ShouldSucceedWithTheOriginalCharge()
    {
        // What a worker that died after the gateway charged, but before it recorded the outcome, leaves behind.
        var id = await Settings.InsertPaymentAsync("merchant-1", PaymentStatus.Processing);
        var gateway = new SimulatedPaymentGateway(Settings.Table(Settings.Tables.LedgerTable), TimeProvider.System);
        var original = Assert.IsType<ChargeOutcome.Charged>(
            await gateway.ChargeAsync(new ChargeRequest(id.Value, 1999, "EUR", SimulatedPaymentGateway.SucceedingSource), CancellationToken.None));

        // The queue redelivers the message once the crashed attempt's visibility timeout has passed.
        await Settings.SendPaymentMessageAsync(PaymentsAppExtensions.MessageFor(id.Value));

        var payment = await App.WaitForTerminalAsync(Settings.Token(), id.Value);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1, await Settings.LedgerEntriesAsync(id.Value));
        Assert.Equal(original.ChargeId, (await gateway.FindChargeAsync(id.Value, CancellationToken.None))!.ChargeId);
    }

    [Fact]
    public async Task ProcessPayment_WhenTheWorkerIsKilledWhilePaymentsAreInFlight_ShouldStillSettleEachExactlyOnce()
    {
        var token = Settings.Token();
        var processing = await Settings.InsertPaymentAsync("merchant-1", PaymentStatus.Processing);
        var ids = new List<string> { processing.Value };
        await Settings.SendPaymentMessageAsync(PaymentsAppExtensions.MessageFor(processing.Value));
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await App.CreatePaymentAsync(token));
        }

        // Killed while these are pending or being charged; the host restarts the worker and the queue redelivers.
        await App.Host.KillWorkerAsync();

        foreach (var id in ids)
        {
            var payment = await App.WaitForStatusAsync(token, id, status => status is "succeeded" or "failed");
            Assert.Equal("succeeded", payment.GetProperty("status").GetString());
            Assert.Equal(1, await Settings.LedgerEntriesAsync(id));
        }
    }

    [Fact]
    public async Task ProcessPayment_WhenAMessageIsUnreadable_ShouldParkItInTheDeadLetterTableAndTouchNoPayment()
    {
        var named = await Settings.InsertPaymentAsync("merchant-1", PaymentStatus.Pending);
        var before = await Settings.Table(Settings.Tables.PaymentsTable).GetEntityAsync<TableEntity>(named.PartitionKey, named.Value);
        var notJson = "this is not JSON " + Guid.NewGuid().ToString("N");
        var unknownVersion = $$"""{"v":2,"paymentId":"{{named.Value}}"}""";

        await Settings.SendPaymentMessageAsync(notJson);
        await Settings.SendPaymentMessageAsync(unknownVersion);

        // The app parks both itself, keyed by message id, with the text and the reason; nothing relies on a host's
        // poison-of-poison queue, which Azure never creates.
        var deadLetters = Settings.Table(Settings.Tables.DeadLettersTable);
        var parked = await Eventually.UntilAsync(
            async () => await deadLetters.QueryAsync<TableEntity>(entity => entity.PartitionKey == "payments")
                .Where(entity => entity.GetString("Text") == notJson || entity.GetString("Text") == unknownVersion)
                .ToListAsync(),
            rows => rows.Count == 2,
            "both unreadable messages parked in the dead-letter table",
            TimeSpan.FromSeconds(60));
        Assert.Contains(parked, row => row.GetString("Text") == notJson && row.GetString("Reason")!.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(parked, row => row.GetString("Text") == unknownVersion && row.GetString("Reason")!.Contains("schema version 2 is unknown", StringComparison.Ordinal));
        Assert.All(parked, row => Assert.NotNull(row.GetDateTimeOffset("ParkedAt")));
        Assert.False((await Settings.Queue(Settings.Tables.PaymentsPoisonQueue + "-poison").ExistsAsync()).Value, "a poison-of-poison queue was created");
        var after = await Settings.Table(Settings.Tables.PaymentsTable).GetEntityAsync<TableEntity>(named.PartitionKey, named.Value);
        Assert.Equal(before.Value.ETag, after.Value.ETag);
        Assert.Equal(nameof(PaymentStatus.Pending), after.Value.GetString("Status"));
        Assert.Equal(0, await Settings.LedgerEntriesAsync(named.Value));
    }

    private static (string? Status, string? FailureCode) Outcome(System.Text.Json.JsonElement payment) =>
        (payment.GetProperty("status").GetString(), payment.TryGetProperty("failureCode", out var code) ? code.GetString() : null);

    /// <summary>Every delivery ends in exactly one processor log line: settled, or already terminal (a duplicate).</summary>
    private Task WaitUntilEveryDeliveryIsHandledAsync(string id, int deliveries) =>
        Eventually.TrueAsync(() => Task.FromResult(App.Logs.Count(line => line.Contains(id, StringComparison.Ordinal)
            && (line.Contains("settled as", StringComparison.Ordinal) || line.Contains("duplicate delivery", StringComparison.Ordinal))) >= deliveries),
            $"all {deliveries} deliveries of {id} are handled", PaymentsAppExtensions.TerminalDeadline);
}
