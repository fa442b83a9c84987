using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Payments.Core.Payments;

public sealed record SweepResult(int Examined, int Requeued, int ChangedMeanwhile);

/// <summary>
/// The completer of a transactional outbox: accepting a payment writes it, then enqueues its message. If the process
/// dies between the two, the payment stays pending with no message; this finds payments pending longer than the
/// threshold and enqueues them again. A duplicate message is harmless (processing is idempotent), a lost one is not.
/// </summary>
public sealed partial class PendingPaymentSweeper(
    PaymentRepository payments, PaymentMessageSender queue, TimeProvider time, ILogger<PendingPaymentSweeper> logger)
{
    public async Task<SweepResult> SweepAsync(TimeSpan staleAfter, int maxPayments, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - staleAfter;
        var filter = TableClient.CreateQueryFilter(
            $"Kind eq {PaymentEntity.KindValue} and Status eq {nameof(PaymentStatus.Pending)} and EnqueuedAt lt {cutoff}");
        int examined = 0, requeued = 0, changed = 0;
        await foreach (var entity in payments.Table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(maxPayments, 1000), cancellationToken: cancellationToken))
        {
            if (examined++ >= maxPayments)
            {
                break;
            }

            var payment = PaymentEntity.FromEntity(entity);
            var marked = payment with { EnqueuedAt = time.GetUtcNow() };
            try
            {
                // Mark first, with the ETag: of two sweepers (or a sweeper and the processor) only one proceeds.
                await payments.Table.UpdateEntityAsync(PaymentEntity.ToEntity(marked), payment.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 412 or 404)
            {
                changed++;
                continue;
            }

            await queue.EnqueueAsync(payment.Id, cancellationToken);
            requeued++;
            LogRequeued(payment.Id.Value, payment.EnqueuedAt);
        }

        return new SweepResult(Math.Min(examined, maxPayments), requeued, changed);
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Payment {PaymentId} was still pending (last enqueued {LastEnqueuedAt:o}); enqueued it again")]
    private partial void LogRequeued(string paymentId, DateTimeOffset lastEnqueuedAt);
}
