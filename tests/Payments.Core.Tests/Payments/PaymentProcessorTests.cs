using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Payments;
using Payments.Core.Payments.Gateway;
using Payments.Core.Tests.Infrastructure;
using Payments.Testing;

namespace Payments.Core.Tests.Payments;

[Collection(AzuriteCollection.Name)]
public sealed class PaymentProcessorTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TableClient _paymentsTable = null!;
    private TableClient _ledgerTable = null!;
    private PaymentRepository _payments = null!;
    private SimulatedPaymentGateway _gateway = null!;
    private PaymentProcessor _processor = null!;
    private PaymentPoisonSettler _settler = null!;

    public async Task InitializeAsync()
    {
        _paymentsTable = await azurite.CreateTableAsync("procpayments");
        _ledgerTable = await azurite.CreateTableAsync("procledger");
        _payments = new PaymentRepository(_paymentsTable, TimeProvider.System);
        _gateway = new SimulatedPaymentGateway(_ledgerTable, TimeProvider.System);
        _processor = new PaymentProcessor(_payments, _gateway, NullLogger<PaymentProcessor>.Instance);
        _settler = new PaymentPoisonSettler(_payments, _gateway, NullLogger<PaymentPoisonSettler>.Instance);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(SimulatedPaymentGateway.SucceedingSource, PaymentStatus.Succeeded, null, 1)]
    [InlineData(SimulatedPaymentGateway.DecliningSource, PaymentStatus.Failed, FailureCodes.CardDeclined, 0)]
    public async Task ProcessAsync_WhenSourceIsATestToken_ShouldReachItsTerminalState(
        string source, PaymentStatus expected, string? failureCode, int ledgerEntries)
    {
        var payment = await InsertPendingAsync(source);

        var outcome = await _processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);

        var settled = Assert.IsType<ProcessingOutcome.Settled>(outcome);
        Assert.Equal(expected, settled.Payment.Status);
        var stored = await _payments.FindAsync(payment.Id, CancellationToken.None);
        Assert.Equal(expected, stored!.Status);
        Assert.Equal(failureCode, stored.FailureCode);
        Assert.Equal(ledgerEntries, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task ProcessAsync_WhenGatewayFailsTransiently_ShouldThrowAndLeavePaymentProcessing()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.FailingSource);

        await Assert.ThrowsAsync<GatewayUnavailableException>(
            () => _processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None));

        Assert.Equal(PaymentStatus.Processing, (await _payments.FindAsync(payment.Id, CancellationToken.None))!.Status);
        Assert.Equal(0, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task ProcessAsync_WhenMessageIsDeliveredTenTimesInSequence_ShouldChargeOnce()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        var message = new PaymentMessage(payment.Id).Serialize();

        var outcomes = new List<ProcessingOutcome>();
        for (var i = 0; i < 10; i++)
        {
            outcomes.Add(await _processor.ProcessAsync(message, CancellationToken.None));
        }

        Assert.Single(outcomes.OfType<ProcessingOutcome.Settled>());
        Assert.Equal(9, outcomes.OfType<ProcessingOutcome.AlreadyTerminal>().Count());
        Assert.Equal(1, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task ProcessAsync_WhenMessageIsDeliveredTenTimesConcurrently_ShouldChargeOnce()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        var message = new PaymentMessage(payment.Id).Serialize();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(
            () => _processor.ProcessAsync(message, CancellationToken.None))));

        Assert.Single(outcomes.OfType<ProcessingOutcome.Settled>());
        Assert.All(outcomes, o => Assert.True(o is ProcessingOutcome.Settled or ProcessingOutcome.AlreadyTerminal, o.ToString()));
        Assert.Equal(PaymentStatus.Succeeded, (await _payments.FindAsync(payment.Id, CancellationToken.None))!.Status);
        Assert.Equal(1, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task ProcessAsync_WhenAPreviousAttemptChargedAndCrashedBeforeSettling_ShouldSettleWithoutASecondCharge()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        var processing = Assert.IsType<PaymentChange.Changed>(
            await _payments.MoveAsync(payment, PaymentStatus.Processing, null, CancellationToken.None)).Payment;
        var first = await _gateway.ChargeAsync(
            new ChargeRequest(processing.Id.Value, processing.Amount, processing.Currency, processing.Source), CancellationToken.None);

        var outcome = await _processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);

        var settled = Assert.IsType<ProcessingOutcome.Settled>(outcome);
        Assert.True(settled.ChargeReplayed);
        Assert.Equal(PaymentStatus.Succeeded, settled.Payment.Status);
        Assert.Equal(1, await CountLedgerAsync(payment.Id));
        Assert.Equal(Assert.IsType<ChargeOutcome.Charged>(first).ChargeId,
            (await _gateway.FindChargeAsync(payment.Id.Value, CancellationToken.None))!.ChargeId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"v\":2,\"paymentId\":\"pay_000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")]
    [InlineData("{\"v\":1,\"paymentId\":\"../../etc/passwd\"}")]
    [InlineData("{\"v\":1}")]
    [InlineData("null")]
    public async Task ProcessAsync_WhenMessageIsUnreadable_ShouldReportItWithoutTouchingPayments(string text)
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);

        var outcome = await _processor.ProcessAsync(text, CancellationToken.None);

        Assert.IsType<ProcessingOutcome.Unreadable>(outcome);
        Assert.Equal(payment.ETag, (await _payments.FindAsync(payment.Id, CancellationToken.None))!.ETag);
    }

    [Fact]
    public async Task ProcessAsync_WhenPaymentDoesNotExist_ShouldReportUnknownPayment()
    {
        var outcome = await _processor.ProcessAsync(new PaymentMessage(PaymentId.New("abc")).Serialize(), CancellationToken.None);

        Assert.IsType<ProcessingOutcome.UnknownPayment>(outcome);
    }

    [Fact]
    public async Task SettleAsync_WhenChargeWentThroughBeforeRetriesRanOut_ShouldMarkSucceeded()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        await _gateway.ChargeAsync(new ChargeRequest(payment.Id.Value, payment.Amount, payment.Currency, payment.Source), CancellationToken.None);

        var outcome = await _settler.SettleAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);

        Assert.Equal(PaymentStatus.Succeeded, Assert.IsType<ProcessingOutcome.Settled>(outcome).Payment.Status);
        Assert.Equal(1, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task SettleAsync_WhenNoChargeExists_ShouldMarkFailedWithProcessingError()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.FailingSource);
        await Assert.ThrowsAsync<GatewayUnavailableException>(
            () => _processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None));

        var outcome = await _settler.SettleAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);

        var settled = Assert.IsType<ProcessingOutcome.Settled>(outcome);
        Assert.Equal(PaymentStatus.Failed, settled.Payment.Status);
        Assert.Equal(FailureCodes.ProcessingError, settled.Payment.FailureCode);
        Assert.Equal(0, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task SettleAsync_WhenPaymentIsAlreadyTerminal_ShouldNotChangeIt()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.DecliningSource);
        await _processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);
        var before = await _payments.FindAsync(payment.Id, CancellationToken.None);

        var outcome = await _settler.SettleAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);

        Assert.IsType<ProcessingOutcome.AlreadyTerminal>(outcome);
        Assert.Equal(before!.ETag, (await _payments.FindAsync(payment.Id, CancellationToken.None))!.ETag);
    }

    [Fact]
    public async Task SettleAsync_WhenItRunsWhileADuplicateDeliveryIsAboutToCharge_ShouldVoidSoNoMoneyMoves()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        var gated = new GatedPaymentGateway(_gateway, GatedPaymentGateway.GatePosition.BeforeCharge);
        var processor = new PaymentProcessor(_payments, gated, NullLogger<PaymentProcessor>.Instance);
        var processing = processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);
        await gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var settled = await _settler.SettleAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);
        gated.Release();
        var processed = await processing.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(PaymentStatus.Failed, Assert.IsType<ProcessingOutcome.Settled>(settled).Payment.Status);
        Assert.IsType<ChargeOutcome.Voided>(gated.HeldOutcome);
        Assert.IsType<ProcessingOutcome.AlreadyTerminal>(processed);
        var stored = await _payments.FindAsync(payment.Id, CancellationToken.None);
        Assert.Equal(PaymentStatus.Failed, stored!.Status);
        Assert.Equal(FailureCodes.ProcessingError, stored.FailureCode);
        Assert.Null(await _gateway.FindChargeAsync(payment.Id.Value, CancellationToken.None));
        Assert.Equal(0, await CountLedgerAsync(payment.Id));
    }

    [Fact]
    public async Task SettleAsync_WhenItRunsAfterADuplicateDeliveryChargedButBeforeItsStatusMove_ShouldMarkSucceededWithOneCharge()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        var gated = new GatedPaymentGateway(_gateway, GatedPaymentGateway.GatePosition.AfterCharge);
        var processor = new PaymentProcessor(_payments, gated, NullLogger<PaymentProcessor>.Instance);
        var processing = processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);
        await gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var settled = await _settler.SettleAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);
        gated.Release();
        var processed = await processing.WaitAsync(TimeSpan.FromSeconds(30));

        var settlement = Assert.IsType<ProcessingOutcome.Settled>(settled);
        Assert.Equal(PaymentStatus.Succeeded, settlement.Payment.Status);
        Assert.True(settlement.ChargeReplayed);
        Assert.IsType<ProcessingOutcome.AlreadyTerminal>(processed);
        Assert.Equal(PaymentStatus.Succeeded, (await _payments.FindAsync(payment.Id, CancellationToken.None))!.Status);
        Assert.Equal(1, await CountLedgerAsync(payment.Id));
        Assert.False(await _gateway.IsRefundedAsync(payment.Id.Value, CancellationToken.None));
    }

    [Fact]
    public async Task ProcessAsync_WhenItsChargeLandsOnAPaymentAlreadyFailed_ShouldRefundItAndLogAnErrorWithThePaymentId()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.SucceedingSource);
        var gated = new GatedPaymentGateway(_gateway, GatedPaymentGateway.GatePosition.BeforeCharge);
        var logger = new FakeLogger<PaymentProcessor>();
        var processor = new PaymentProcessor(_payments, gated, logger);
        var processing = processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);
        await gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        // Failed by a path that did not void the key first (what a provider completing a charge after its caller
        // timed out looks like): the charge still lands.
        var current = await _payments.FindAsync(payment.Id, CancellationToken.None);
        Assert.IsType<PaymentChange.Changed>(
            await _payments.MoveAsync(current!, PaymentStatus.Failed, FailureCodes.ProcessingError, CancellationToken.None));
        gated.Release();
        var processed = await processing.WaitAsync(TimeSpan.FromSeconds(30));

        var refunded = Assert.IsType<ProcessingOutcome.Refunded>(processed);
        Assert.False(refunded.Refund.Replayed);
        Assert.Equal(Assert.IsType<ChargeOutcome.Charged>(gated.HeldOutcome).ChargeId, refunded.Refund.ChargeId);
        Assert.Equal(PaymentStatus.Failed, (await _payments.FindAsync(payment.Id, CancellationToken.None))!.Status);
        Assert.True(await _gateway.IsRefundedAsync(payment.Id.Value, CancellationToken.None));
        Assert.Contains(logger.Collector.GetSnapshot(), e => e.Level == LogLevel.Error && e.Message.Contains(payment.Id.Value, StringComparison.Ordinal));

        var duplicate = await _processor.ProcessAsync(new PaymentMessage(payment.Id).Serialize(), CancellationToken.None);

        Assert.True(Assert.IsType<ProcessingOutcome.Refunded>(duplicate).Refund.Replayed);
        Assert.Equal(refunded.Refund.RefundId, ((ProcessingOutcome.Refunded)duplicate).Refund.RefundId);
    }

    [Fact]
    public async Task ChargeAsync_WhenTheKeyWasVoided_ShouldAnswerVoidedAndRecordNoCharge()
    {
        var key = PaymentId.New("a01").Value;
        Assert.IsType<VoidOutcome.Voided>(await _gateway.VoidAsync(key, CancellationToken.None));

        var outcome = await _gateway.ChargeAsync(new ChargeRequest(key, 500, "EUR", SimulatedPaymentGateway.SucceedingSource), CancellationToken.None);

        Assert.IsType<ChargeOutcome.Voided>(outcome);
        Assert.Null(await _gateway.FindChargeAsync(key, CancellationToken.None));
        Assert.Null(await _gateway.RefundAsync(key, CancellationToken.None));
        Assert.IsType<VoidOutcome.Voided>(await _gateway.VoidAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task VoidAsync_WhenTheKeyWasCharged_ShouldAnswerTheChargeAndLeaveItStanding()
    {
        var key = PaymentId.New("a02").Value;
        var charged = Assert.IsType<ChargeOutcome.Charged>(
            await _gateway.ChargeAsync(new ChargeRequest(key, 500, "EUR", SimulatedPaymentGateway.SucceedingSource), CancellationToken.None));

        var outcome = await _gateway.VoidAsync(key, CancellationToken.None);

        Assert.Equal(charged.ChargeId, Assert.IsType<VoidOutcome.AlreadyCharged>(outcome).Charge.ChargeId);
        Assert.Equal(charged.ChargeId, (await _gateway.FindChargeAsync(key, CancellationToken.None))!.ChargeId);
    }

    [Fact]
    public async Task ChargeAsync_WhenTheSourceIsSlow_ShouldRecordTheChargeOnlyAfterTheDelayHasPassed()
    {
        var clock = new FakeTimeProvider();
        var gateway = new SimulatedPaymentGateway(_ledgerTable, clock, TimeSpan.FromSeconds(5));
        var key = PaymentId.New("a03");

        var charging = gateway.ChargeAsync(new ChargeRequest(key.Value, 500, "EUR", SimulatedPaymentGateway.SlowSource), CancellationToken.None);
        // The wait is the first thing a slow charge does, so its timer is registered by the time ChargeAsync returns.
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(charging.IsCompleted);
        Assert.Equal(0, await CountLedgerAsync(key));
        clock.Advance(TimeSpan.FromSeconds(0.1));

        Assert.IsType<ChargeOutcome.Charged>(await charging.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await CountLedgerAsync(key));
    }

    [Fact]
    public async Task ProcessAsync_WhenTheSourceFailsTransientlyTwice_ShouldThrowTwiceThenChargeOnce()
    {
        var payment = await InsertPendingAsync(SimulatedPaymentGateway.TransientSource);
        var message = new PaymentMessage(payment.Id).Serialize();

        for (var attempt = 0; attempt < SimulatedPaymentGateway.TransientFailures; attempt++)
        {
            await Assert.ThrowsAsync<GatewayUnavailableException>(() => _processor.ProcessAsync(message, CancellationToken.None));
            Assert.Equal(0, await CountLedgerAsync(payment.Id));
        }

        var outcome = await _processor.ProcessAsync(message, CancellationToken.None);

        Assert.Equal(PaymentStatus.Succeeded, Assert.IsType<ProcessingOutcome.Settled>(outcome).Payment.Status);
        Assert.Equal(1, await CountLedgerAsync(payment.Id));
    }

    [Theory]
    [InlineData(SimulatedPaymentGateway.SucceedingSource, true)]
    [InlineData(SimulatedPaymentGateway.SlowSource, true)]
    [InlineData(SimulatedPaymentGateway.TransientSource, true)]
    [InlineData("tok_mastercard", false)]
    [InlineData("tok_VISA", false)]
    public void KnowsSource_WhenAsked_ShouldKnowOnlyItsTestSources(string source, bool known) =>
        Assert.Equal(known, _gateway.KnowsSource(source));

    private async Task<Payment> InsertPendingAsync(string source)
    {
        var now = DateTimeOffset.UtcNow;
        var payment = new Payment(PaymentId.New(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..3]), "merchant-1", 1999, "EUR", source,
            null, null, new Dictionary<string, string>(), PaymentStatus.Pending, null, now, now, now, default);
        var response = await _paymentsTable.SubmitTransactionAsync(PaymentIndex.Insert(payment));
        return payment with { ETag = response.Value[0].Headers.ETag!.Value };
    }

    private async Task<int> CountLedgerAsync(PaymentId id)
    {
        var count = 0;
        using var inspection = StrictStoragePolicy.InspectionByTest();
        // Charges only: a void claims the same row key and moves no money.
        await foreach (var _ in _ledgerTable.QueryAsync<TableEntity>($"RowKey eq '{id.Value}' and Kind eq 'charge'"))
        {
            count++;
        }

        return count;
    }
}
