using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Idempotency.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Customers;
using Payments.Core.Payments;
using Payments.Core.Payments.Gateway;
using Payments.Core.Storage;
using Payments.Core.Telemetry;
using Payments.Core.Tests.Infrastructure;
using Payments.Core.Tests.Payments;
using Payments.Testing.Telemetry;

namespace Payments.Core.Tests.Telemetry;

/// <summary>
/// One trace from accept to charge, settle and requeue, through the trace context stored with the payment and carried
/// in its messages; and the metrics each step records. In the Azurite collection, so no other payment test writes the
/// same (process-wide) instruments meanwhile.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class PaymentTracingTests(AzuriteFixture azurite) : IAsyncLifetime, IDisposable
{
    private const string Merchant = "merchant-telemetry";
    private static readonly ActivitySource TestSource = new("Payments.Tests.Invocation");
    private readonly TelemetryCapture _telemetry = new(PaymentsTelemetry.Name, TestSource.Name);
    private TableClient _table = null!;
    private TableClient _ledger = null!;
    private QueueClient _queue = null!;
    private PaymentRepository _payments = null!;
    private SimulatedPaymentGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _table = await azurite.CreateTableAsync("tracepayments");
        _ledger = await azurite.CreateTableAsync("traceledger");
        _queue = azurite.CreateClients().GetQueueClient(AzuriteFixture.UniqueName("trace"));
        await _queue.CreateIfNotExistsAsync();
        _payments = new PaymentRepository(_table, TimeProvider.System);
        _gateway = new SimulatedPaymentGateway(_ledger, TimeProvider.System);
    }

    public Task DisposeAsync() => _queue.DeleteIfExistsAsync();

    public void Dispose() => _telemetry.Dispose();

    [Fact]
    public async Task AcceptAsync_WhenRequestIsTraced_ShouldStoreItsContextOnPaymentDueEntryAndMessage()
    {
        using var post = TestSource.StartActivity("POST /api/v1/payments", ActivityKind.Server)!;

        var payment = await AcceptAsync(SimulatedPaymentGateway.SucceedingSource);
        post.Stop();

        var accept = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.Accept, post.TraceId));
        Assert.Equal(post.SpanId, accept.ParentSpanId);
        Assert.Equal(payment.Id.Value, accept.GetTagItem(PaymentsTelemetry.Attributes.PaymentId));
        var stored = (await _payments.FindAsync(payment.Id, CancellationToken.None))!.TraceContext!;
        Assert.Equal(accept.TraceId, stored.Context.TraceId);
        Assert.Equal(accept.SpanId, stored.Context.SpanId);
        var message = await ReceiveAsync();
        Assert.Equal(accept.SpanId, message.TraceContext!.Context.SpanId);
        var due = await DueEntryAsync(payment.Id);
        Assert.Equal(accept.SpanId, PaymentEntity.TraceContextOf(due)!.Context.SpanId);
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.PaymentTransitions,
            (PaymentsTelemetry.Attributes.StatusFrom, "none"), (PaymentsTelemetry.Attributes.StatusTo, "pending")));
    }

    [Fact]
    public async Task AcceptAsync_WhenNothingIsTraced_ShouldStoreNoContextAndWriteTheVersion1Message()
    {
        _telemetry.Dispose(); // no listener: the app's telemetry is off
        var payment = await AcceptAsync(SimulatedPaymentGateway.SucceedingSource);

        Assert.Null((await _payments.FindAsync(payment.Id, CancellationToken.None))!.TraceContext);
        var raw = Assert.Single((await _queue.ReceiveMessagesAsync(32)).Value).Body.ToString();
        Assert.DoesNotContain("traceparent", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_WhenMessageCarriesTheAcceptTrace_ShouldChargeInThatTraceLinkedToTheInvocation()
    {
        var (payment, acceptTrace) = await AcceptTracedAsync(SimulatedPaymentGateway.SucceedingSource);
        var message = await ReceiveAsync();
        var processor = new PaymentProcessor(_payments, _gateway, NullLogger<PaymentProcessor>.Instance);

        ActivityContext invocationContext;
        using (var invocation = TestSource.StartActivity("ProcessPayment invocation", ActivityKind.Internal)!)
        {
            invocationContext = invocation.Context;
            await processor.ProcessAsync(message.Serialize(), CancellationToken.None);
        }

        var process = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.Process, acceptTrace));
        Assert.Equal(message.TraceContext!.Context.SpanId, process.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(invocationContext.SpanId, Assert.Single(process.Links).Context.SpanId);
        Assert.Equal("succeeded", process.GetTagItem(PaymentsTelemetry.Attributes.Outcome));
        var charge = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.GatewayCharge, acceptTrace));
        Assert.Equal(process.SpanId, charge.ParentSpanId);
        Assert.Equal(ActivityKind.Client, charge.Kind);
        Assert.Equal(payment.Id.Value, charge.GetTagItem(PaymentsTelemetry.Attributes.PaymentId));
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.ChargeDuration, (PaymentsTelemetry.Attributes.Outcome, "charged")));
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.PaymentTransitions,
            (PaymentsTelemetry.Attributes.StatusFrom, "pending"), (PaymentsTelemetry.Attributes.StatusTo, "processing")));
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.PaymentTransitions,
            (PaymentsTelemetry.Attributes.StatusFrom, "processing"), (PaymentsTelemetry.Attributes.StatusTo, "succeeded")));
    }

    [Fact]
    public async Task ProcessAsync_WhenDeliveredTwice_ShouldPutBothDeliveriesInTheAcceptTrace()
    {
        var (_, acceptTrace) = await AcceptTracedAsync(SimulatedPaymentGateway.SucceedingSource);
        var text = (await ReceiveAsync()).Serialize();
        var processor = new PaymentProcessor(_payments, _gateway, NullLogger<PaymentProcessor>.Instance);

        await processor.ProcessAsync(text, CancellationToken.None);
        await processor.ProcessAsync(text, CancellationToken.None);

        var deliveries = _telemetry.SpansNamed(PaymentsTelemetry.Spans.Process, acceptTrace);
        Assert.Equal(["succeeded", "duplicate"], deliveries.Select(span => span.GetTagItem(PaymentsTelemetry.Attributes.Outcome)));
    }

    [Fact]
    public async Task ProcessAsync_WhenGatewayIsUnavailable_ShouldFailTheSpansAndRecordTheChargeAsUnavailable()
    {
        var (_, acceptTrace) = await AcceptTracedAsync(SimulatedPaymentGateway.FailingSource);
        var processor = new PaymentProcessor(_payments, _gateway, NullLogger<PaymentProcessor>.Instance);

        var text = (await ReceiveAsync()).Serialize();

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => processor.ProcessAsync(text, CancellationToken.None));

        var process = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.Process, acceptTrace));
        Assert.Equal(ActivityStatusCode.Error, process.Status);
        Assert.Equal(nameof(GatewayUnavailableException), process.StatusDescription);
        Assert.Equal(ActivityStatusCode.Error, Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.GatewayCharge, acceptTrace)).Status);
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.ChargeDuration, (PaymentsTelemetry.Attributes.Outcome, "unavailable")));
    }

    [Fact]
    public async Task ProcessAsync_WhenItsChargeLandsOnAPaymentAlreadyFailed_ShouldTraceTheRefundInsideTheProcessSpan()
    {
        var (payment, acceptTrace) = await AcceptTracedAsync(SimulatedPaymentGateway.SucceedingSource);
        var gated = new GatedPaymentGateway(_gateway, GatedPaymentGateway.GatePosition.BeforeCharge);
        var processor = new PaymentProcessor(_payments, gated, NullLogger<PaymentProcessor>.Instance);
        var processing = processor.ProcessAsync((await ReceiveAsync()).Serialize(), CancellationToken.None);
        await gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        var current = await _payments.FindAsync(payment.Id, CancellationToken.None);
        Assert.IsType<PaymentChange.Changed>(
            await _payments.MoveAsync(current!, PaymentStatus.Failed, FailureCodes.ProcessingError, CancellationToken.None));
        gated.Release();

        Assert.IsType<ProcessingOutcome.Refunded>(await processing.WaitAsync(TimeSpan.FromSeconds(30)));

        var process = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.Process, acceptTrace));
        var refund = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.GatewayRefund, acceptTrace));
        Assert.Equal(process.SpanId, refund.ParentSpanId);
        Assert.Equal(ActivityKind.Client, refund.Kind);
        Assert.Equal(payment.Id.Value, refund.GetTagItem(PaymentsTelemetry.Attributes.PaymentId));
        Assert.NotEqual(ActivityStatusCode.Error, refund.Status);
    }

    [Fact]
    public async Task SettleAsync_WhenPoisonMessageCarriesTheAcceptTrace_ShouldSettleInThatTraceAndCountIt()
    {
        var (_, acceptTrace) = await AcceptTracedAsync(SimulatedPaymentGateway.FailingSource);
        var settler = new PaymentPoisonSettler(_payments, _gateway, NullLogger<PaymentPoisonSettler>.Instance);

        using (TestSource.StartActivity("SettlePoisonPayment invocation"))
        {
            await settler.SettleAsync((await ReceiveAsync()).Serialize(), CancellationToken.None);
        }

        var settle = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.Settle, acceptTrace));
        Assert.Single(settle.Links);
        Assert.Equal("failed", settle.GetTagItem(PaymentsTelemetry.Attributes.Outcome));
        Assert.Equal(settle.SpanId, Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.GatewayVoid, acceptTrace)).ParentSpanId);
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.PoisonSettles, (PaymentsTelemetry.Attributes.StatusTo, "failed")));
    }

    [Fact]
    public async Task SweepAsync_WhenAStrandedPaymentWasTraced_ShouldRequeueItIntoTheAcceptTrace()
    {
        var (payment, acceptTrace) = await AcceptTracedAsync(SimulatedPaymentGateway.SucceedingSource);
        _ = await ReceiveAsync(); // the accept's own message, lost as if the process had died before sending it
        var sweeper = new PendingPaymentSweeper(_payments, new PaymentMessageSender(_queue), TimeProvider.System, NullLogger<PendingPaymentSweeper>.Instance);

        using (TestSource.StartActivity("SweepPendingPayments invocation"))
        {
            // Only the partitions up to the payment's (a fresh table's checkpoint starts at the first): a full pass is 4,096 queries.
            var partitions = Convert.ToInt32(payment.Id.PartitionKey, 16) + 1;
            Assert.Equal(1, (await sweeper.SweepAsync(TimeSpan.Zero, 100, Math.Max(partitions, 16), CancellationToken.None)).Requeued);
        }

        var requeue = Assert.Single(_telemetry.SpansNamed(PaymentsTelemetry.Spans.Requeue, acceptTrace));
        Assert.Equal(payment.Id.Value, requeue.GetTagItem(PaymentsTelemetry.Attributes.PaymentId));
        Assert.Single(requeue.Links);
        var message = await ReceiveAsync();
        Assert.Equal(requeue.SpanId, message.TraceContext!.Context.SpanId);
        Assert.Equal(acceptTrace, PaymentEntity.TraceContextOf(await DueEntryAsync(payment.Id))!.Context.TraceId);
        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.SweeperRequeues));
    }

    [Fact]
    public async Task ParkAsync_WhenAMessageIsParkedTwice_ShouldCountOneDeadLetter()
    {
        var deadLetters = new PaymentDeadLetters(await azurite.CreateTableAsync("tracedead"), _queue, TimeProvider.System, NullLogger<PaymentDeadLetters>.Instance);

        await deadLetters.ParkAsync("message-1", "not JSON", "not JSON", CancellationToken.None);
        await deadLetters.ParkAsync("message-1", "not JSON", "not JSON", CancellationToken.None);

        Assert.Equal(1, _telemetry.Total(PaymentsTelemetry.Instruments.DeadLetters));
    }

    [Fact]
    public async Task MessageTraceContext_WhenTurnedOff_ShouldSendTheVersion1MessageWithoutIt()
    {
        var service = new PaymentService(_payments, new PaymentMessageSender(_queue, writeTraceContext: false),
            new CustomerService(_table, TimeProvider.System, NullLogger<CustomerService>.Instance), TimeProvider.System, NullLogger<PaymentService>.Instance);

        using (TestSource.StartActivity("POST"))
        {
            await service.AcceptAsync(Merchant, NewId(), Request(SimulatedPaymentGateway.SucceedingSource), PlainCommit.To<Payment>(_table), CancellationToken.None);
        }

        var raw = Assert.Single((await _queue.ReceiveMessagesAsync(32)).Value).Body.ToString();
        Assert.DoesNotContain("traceparent", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Telemetry_WhenAPaymentGoesThroughEveryStep_ShouldExportNoSubjectSourceOrPersonalDataInAnyAttribute()
    {
        var (payment, _) = await AcceptTracedAsync(SimulatedPaymentGateway.FailingSource);
        var text = (await ReceiveAsync()).Serialize();
        await Assert.ThrowsAsync<GatewayUnavailableException>(
            () => new PaymentProcessor(_payments, _gateway, NullLogger<PaymentProcessor>.Instance).ProcessAsync(text, CancellationToken.None));
        await new PaymentPoisonSettler(_payments, _gateway, NullLogger<PaymentPoisonSettler>.Instance).SettleAsync(text, CancellationToken.None);

        var attributes = _telemetry.AllAttributes();

        Assert.NotEmpty(attributes);
        var allowed = typeof(PaymentsTelemetry.Attributes).GetFields().Select(field => (string)field.GetValue(null)!)
            .Concat(["span.name", "span.status"]).ToHashSet(StringComparer.Ordinal);
        Assert.All(attributes, attribute =>
        {
            Assert.Contains(attribute.Key, allowed);
            Assert.DoesNotContain(Merchant, attribute.Value, StringComparison.Ordinal);
            Assert.DoesNotContain(payment.Source, attribute.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("@", attribute.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("Order 1", attribute.Value, StringComparison.Ordinal);
        });
    }

    private async Task<(Payment Payment, ActivityTraceId Trace)> AcceptTracedAsync(string source)
    {
        using var post = TestSource.StartActivity("POST /api/v1/payments", ActivityKind.Server)!;
        return (await AcceptAsync(source), post.TraceId);
    }

    private async Task<Payment> AcceptAsync(string source)
    {
        var service = new PaymentService(_payments, new PaymentMessageSender(_queue),
            new CustomerService(_table, TimeProvider.System, NullLogger<CustomerService>.Instance), TimeProvider.System, NullLogger<PaymentService>.Instance);
        var outcome = await service.AcceptAsync(Merchant, NewId(), Request(source), PlainCommit.To<Payment>(_table), CancellationToken.None);
        return Assert.IsType<AcceptOutcome.Accepted>(outcome).Payment;
    }

    private async Task<PaymentMessage> ReceiveAsync()
    {
        var received = Assert.Single((await _queue.ReceiveMessagesAsync(32)).Value);
        await _queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);
        Assert.True(PaymentMessage.TryParse(received.Body.ToString(), out var message, out var problem), problem);
        return message!;
    }

    private async Task<TableEntity> DueEntryAsync(PaymentId id)
    {
        await foreach (var entity in _table.QueryAsync<TableEntity>(PaymentIndex.DueFilter(id.PartitionKey, DateTimeOffset.UtcNow.AddMinutes(1))))
        {
            if (PaymentIndex.PaymentIdOf(entity) == id.Value)
            {
                return entity;
            }
        }

        throw new InvalidOperationException($"No due entry for {id}.");
    }

    private static PaymentId NewId() => PaymentId.New(SubjectPartitions.For(Merchant, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())));

    private static CreatePaymentRequest Request(string source) => new(1999, "EUR", source, null, "Order 1", null);
}
