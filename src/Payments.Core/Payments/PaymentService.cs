using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Payments.Core.Customers;
using Payments.Core.Storage;

namespace Payments.Core.Payments;

public abstract record AcceptOutcome
{
    private AcceptOutcome()
    {
    }

    public sealed record Accepted(Payment Payment) : AcceptOutcome;

    /// <summary>customerId names no customer of this merchant: a final answer (422), not worth retrying.</summary>
    public sealed record UnknownCustomer(string CustomerId) : AcceptOutcome;

    /// <summary>
    /// Another attempt with the same key took the key over (this one outlived its lock) and owns the outcome; nothing
    /// was written by this attempt, and a retry gets the other attempt's answer.
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

    public async Task<AcceptOutcome> AcceptAsync(
        string merchantId, PaymentId id, CreatePaymentRequest request,
        Func<Payment, IEnumerable<TableTransactionAction>> alsoCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(alsoCommit);
        if (request.CustomerId is { } customerId && await customers.FindAsync(merchantId, customerId, cancellationToken) is null)
        {
            return new AcceptOutcome.UnknownCustomer(customerId);
        }

        var now = time.GetUtcNow();
        var payment = new Payment(id, merchantId, request.Amount, request.Currency, request.Source, request.CustomerId,
            request.Description, request.Metadata ?? [], PaymentStatus.Pending, null, now, now, now, default);
        if (!SubjectPartitions.Owns(merchantId, id.PartitionKey))
        {
            // The listing reads only the merchant's shards: a payment anywhere else would be invisible to it.
            throw new ArgumentException($"Payment {id} is not in one of the merchant's partitions.", nameof(id));
        }

        List<TableTransactionAction> batch = [.. PaymentIndex.Insert(payment), .. alsoCommit(payment)];
        try
        {
            var responses = await payments.Table.SubmitTransactionAsync(batch, cancellationToken);
            payment = payment with { ETag = responses.Value[0].Headers.ETag ?? default };
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 412)
        {
            // What the caller committed with the payment (the idempotency completion) was conditional on its lease,
            // and the lease has passed to a newer attempt: the batch wrote nothing, and the newer attempt answers.
            LogSuperseded(id.Value);
            return new AcceptOutcome.Superseded();
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409 && ex.FailedTransactionActionIndex == 0)
        {
            // The SDK retries a batch whose answer was lost (a broken connection): the first attempt may have committed,
            // and the retry then finds the payment. Only this lease writes this id, so if the stored payment is the one
            // built here, the payment and the recorded response are durable exactly as this request sees them.
            var stored = await payments.FindAsync(id, cancellationToken);
            if (stored is null)
            {
                throw;
            }

            if (!IsSameWrite(stored, payment))
            {
                // Written by a newer attempt that took the key over: it owns the outcome.
                LogSuperseded(id.Value);
                return new AcceptOutcome.Superseded();
            }

            LogCommittedByEarlierAttempt(id.Value);
            payment = payment with { ETag = stored.ETag };
        }

        try
        {
            await messages.EnqueueAsync(id, cancellationToken);
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
        {
            // Accepted all the same: the payment is durable and the sweeper enqueues what was left pending.
            LogEnqueueFailed(ex, id.Value);
        }

        LogAccepted(id.Value, payment.Amount, payment.Currency);
        return new AcceptOutcome.Accepted(payment);
    }

    private static bool IsSameWrite(Payment stored, Payment built) =>
        string.Equals(stored.MerchantId, built.MerchantId, StringComparison.Ordinal) && stored.Amount == built.Amount
        && Math.Abs((stored.CreatedAt - built.CreatedAt).TotalMilliseconds) < 1;

    private async Task<Payment?> FindOwnedAsync(string merchantId, PaymentId id, CancellationToken cancellationToken)
    {
        var payment = await payments.FindAsync(id, cancellationToken);
        return payment is not null && string.Equals(payment.MerchantId, merchantId, StringComparison.Ordinal) ? payment : null;
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Payment {PaymentId} accepted: {Amount} {Currency}")]
    private partial void LogAccepted(string paymentId, long amount, string currency);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Warning, Message = "Payment {PaymentId} was committed by an earlier attempt whose answer was lost; accepted as written")]
    private partial void LogCommittedByEarlierAttempt(string paymentId);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Payment {PaymentId} was not written by this attempt: a newer attempt with the same key took it over")]
    private partial void LogSuperseded(string paymentId);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Payment {PaymentId} is stored but its message could not be enqueued; the sweeper will enqueue it")]
    private partial void LogEnqueueFailed(Exception exception, string paymentId);
}
