using Azure;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging;
using Payments.Core.Customers;
using Payments.Core.Storage;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

public abstract record AcceptOutcome
{
    private AcceptOutcome()
    {
    }

    public sealed record Accepted(Payment Payment) : AcceptOutcome;

    /// <summary>customerId names no customer of this merchant: a final answer, not worth retrying.</summary>
    public sealed record UnknownCustomer(string CustomerId) : AcceptOutcome;

    /// <summary>
    /// Another attempt with the same key owns the outcome (it committed first, or took the key over); nothing was
    /// written by this attempt, and the idempotency layer answers with the other attempt's outcome.
    /// </summary>
    public sealed record Superseded : AcceptOutcome;
}

/// <summary>
/// Accepts payments: one entity group transaction writes the payment together with whatever the caller needs
/// committed with it (the idempotency completion), then the message is enqueued. If the process dies between the
/// two, the payment is durable and <see cref="PendingPaymentSweeper"/> enqueues it later: nothing accepted is lost.
/// </summary>
public sealed partial class PaymentService(
    PaymentRepository payments, PaymentMessageSender messages, CustomerService customers, TimeProvider time, ILogger<PaymentService> logger)
{
    public Task<Payment?> FindAsync(string merchantId, string id, CancellationToken cancellationToken) =>
        PaymentId.TryParse(id, out var paymentId) ? FindOwnedAsync(merchantId, paymentId, cancellationToken) : Task.FromResult<Payment?>(null);

    /// <summary>
    /// Accepts payment <paramref name="id"/>. <paramref name="commit"/> submits the batch (the payment, plus whatever the
    /// caller adds: the idempotency record) and says whether this attempt's batch is durable; false means it wrote
    /// nothing because another attempt owns the outcome.
    /// </summary>
    public async Task<AcceptOutcome> AcceptAsync(
        string merchantId, PaymentId id, CreatePaymentRequest request,
        Func<Payment, IReadOnlyList<TableTransactionAction>, CancellationToken, Task<bool>> commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(commit);
        if (request.CustomerId is { } customerId && await customers.FindAsync(merchantId, customerId, cancellationToken) is null)
        {
            return new AcceptOutcome.UnknownCustomer(customerId);
        }

        // The accept span's context (or the invocation's, when only that is traced) is what the message carries, so the
        // charge joins this request's trace.
        using var span = PaymentsTelemetry.Source.StartActivity(PaymentsTelemetry.Spans.Accept);
        span?.SetTag(PaymentsTelemetry.Attributes.PaymentId, id.Value);
        var now = time.GetUtcNow();
        var payment = new Payment(id, merchantId, request.Amount, request.Currency, request.Source, request.CustomerId,
            request.Description, request.Metadata ?? [], PaymentStatus.Pending, null, now, now, now, default)
        {
            TraceContext = PaymentTraceContext.FromCurrent(),
        };
        if (!SubjectPartitions.Owns(merchantId, id.PartitionKey))
        {
            // The listing reads only the merchant's shards: a payment anywhere else would be invisible to it.
            throw new ArgumentException($"Payment {id} is not in one of the merchant's partitions.", nameof(id));
        }

        List<TableTransactionAction> batch = [.. PaymentIndex.Insert(payment)];
        if (!await commit(payment, batch, cancellationToken))
        {
            LogSuperseded(id.Value);
            span?.SetTag(PaymentsTelemetry.Attributes.Outcome, "superseded");
            return new AcceptOutcome.Superseded();
        }

        PaymentsTelemetry.RecordTransition("none", PaymentIndex.ViewOf(PaymentStatus.Pending));
        span?.SetTag(PaymentsTelemetry.Attributes.Outcome, "accepted");
        try
        {
            await messages.EnqueueAsync(id, payment.TraceContext, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
        {
            // Accepted all the same: the payment is durable and the sweeper enqueues what was left pending.
            LogEnqueueFailed(ex, id.Value);
        }

        LogAccepted(id.Value, payment.Amount, payment.Currency);
        return new AcceptOutcome.Accepted(payment);
    }

    private async Task<Payment?> FindOwnedAsync(string merchantId, PaymentId id, CancellationToken cancellationToken)
    {
        var payment = await payments.FindAsync(id, cancellationToken);
        return payment is not null && string.Equals(payment.MerchantId, merchantId, StringComparison.Ordinal) ? payment : null;
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Payment {PaymentId} accepted: {Amount} {Currency}")]
    private partial void LogAccepted(string paymentId, long amount, string currency);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Payment {PaymentId} was not written: another attempt with the same key owns its outcome")]
    private partial void LogSuperseded(string paymentId);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Payment {PaymentId} is stored but its message could not be enqueued; the sweeper will enqueue it")]
    private partial void LogEnqueueFailed(Exception exception, string paymentId);
}
