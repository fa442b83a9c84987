using Azure.Data.Tables;
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
        await foreach (var _ in _ledgerTable.QueryAsync<TableEntity>(e => e.RowKey == id.Value))
        {
            count++;
        }

        return count;
    }
}
