using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Payments.Core.Payments.Gateway;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

public abstract record ProcessingOutcome
{
    private ProcessingOutcome()
    {
    }

    /// <summary>The payment reached a terminal state in this delivery.</summary>
    public sealed record Settled(Payment Payment, bool ChargeReplayed) : ProcessingOutcome;

    /// <summary>A duplicate delivery: the payment was already terminal, nothing was charged.</summary>
    public sealed record AlreadyTerminal(Payment Payment) : ProcessingOutcome;

    public sealed record UnknownPayment(PaymentId PaymentId) : ProcessingOutcome;

    /// <summary>The message cannot be read by this version: it belongs in the dead-letter table as it is.</summary>
    public sealed record Unreadable(string Problem) : ProcessingOutcome;

    /// <summary>
    /// A charge was found on a payment already failed (it landed after the payment was settled as failed): it was
    /// refunded, and the payment stays failed. Logged as an error with the payment id.
    /// </summary>
    public sealed record Refunded(Payment Payment, RefundRecord Refund) : ProcessingOutcome;
}

/// <summary>
/// Charges a payment for a queue message that may arrive more than once, concurrently, or after a crash. Exactly-once
/// effect comes from two places: ETag-conditional state changes here, and the gateway's idempotency key (the payment id),
/// so even two processors charging at once produce one ledger entry.
/// </summary>
public sealed partial class PaymentProcessor(PaymentRepository payments, IPaymentGateway gateway, ILogger<PaymentProcessor> logger)
{
    private const int MaxConflicts = 5;

    /// <summary>Throws <see cref="GatewayUnavailableException"/> (and storage exceptions) so the queue retries.</summary>
    public Task<ProcessingOutcome> ProcessAsync(string messageText, CancellationToken cancellationToken) =>
        RunTracedAsync(messageText, PaymentsTelemetry.Spans.Process, LogUnreadable, ProcessAsync, cancellationToken);

    /// <summary>
    /// The frame both queue functions share: an unreadable message is an outcome (logged by <paramref name="logUnreadable"/>);
    /// a readable one runs <paramref name="work"/> in a consumer span joined to the accepting request's trace, which
    /// carries its outcome or its failure.
    /// </summary>
    internal static async Task<ProcessingOutcome> RunTracedAsync(
        string messageText, string spanName, Action<string> logUnreadable,
        Func<PaymentMessage, CancellationToken, Task<ProcessingOutcome>> work, CancellationToken cancellationToken)
    {
        if (!PaymentMessage.TryParse(messageText, out var message, out var problem))
        {
            logUnreadable(problem);
            return new ProcessingOutcome.Unreadable(problem);
        }

        using var span = PaymentsTelemetry.StartPaymentWork(spanName, ActivityKind.Consumer, message!.PaymentId.Value, message.TraceContext);
        try
        {
            var outcome = await work(message, cancellationToken);
            span?.SetTag(PaymentsTelemetry.Attributes.Outcome, OutcomeName(outcome));
            return outcome;
        }
        catch (Exception ex)
        {
            PaymentsTelemetry.Fail(span, ex);
            throw;
        }
    }

    /// <summary>What an outcome is called on spans: a fixed, small set.</summary>
    public static string OutcomeName(ProcessingOutcome outcome) => outcome switch
    {
        ProcessingOutcome.Settled { Payment.Status: var status } => PaymentIndex.ViewOf(status),
        ProcessingOutcome.AlreadyTerminal => "duplicate",
        ProcessingOutcome.UnknownPayment => "unknown_payment",
        ProcessingOutcome.Unreadable => "unreadable",
        ProcessingOutcome.Refunded => "refunded",
        _ => "unknown",
    };

    private async Task<ProcessingOutcome> ProcessAsync(PaymentMessage message, CancellationToken cancellationToken)
    {
        var payment = await payments.FindAsync(message.PaymentId, cancellationToken);
        if (payment is null)
        {
            LogUnknownPayment(message.PaymentId.Value);
            return new ProcessingOutcome.UnknownPayment(message.PaymentId);
        }

        for (var attempt = 0; attempt < MaxConflicts; attempt++)
        {
            if (payment.Status == PaymentStatus.Failed)
            {
                // A charge may have landed after the payment was settled as failed (by this delivery's own charge
                // losing the race to the settler, or by an earlier delivery whose refund did not finish). The refund
                // is idempotent, so asking again on every duplicate costs one read and never refunds twice.
                return await ReconcileFailedAsync(payment, cancellationToken);
            }

            if (payment.IsTerminal)
            {
                LogAlreadyTerminal(payment.Id.Value, payment.Status);
                return new ProcessingOutcome.AlreadyTerminal(payment);
            }

            if (payment.Status == PaymentStatus.Pending)
            {
                switch (await payments.MoveAsync(payment, PaymentStatus.Processing, null, cancellationToken))
                {
                    case PaymentChange.Changed changed:
                        payment = changed.Payment;
                        break;
                    case PaymentChange.Conflict conflict:
                        payment = conflict.Current;
                        continue;
                    default:
                        return new ProcessingOutcome.UnknownPayment(payment.Id);
                }
            }

            // Processing: possibly left by a crashed attempt, or being charged by a concurrent delivery right now.
            // Charging again is safe: the gateway returns the original charge for the same key.
            var outcome = await ChargeAsync(payment, cancellationToken);
            var (status, failureCode, replayed) = outcome switch
            {
                ChargeOutcome.Charged charged => (PaymentStatus.Succeeded, (string?)null, charged.Replayed),
                ChargeOutcome.Declined declined => (PaymentStatus.Failed, declined.FailureCode, false),

                // The poison settler voided the key first: no charge can land any more, so failing is no guess.
                ChargeOutcome.Voided => (PaymentStatus.Failed, FailureCodes.ProcessingError, false),
                _ => throw new InvalidOperationException("Unknown charge outcome."),
            };

            switch (await payments.MoveAsync(payment, status, failureCode, cancellationToken))
            {
                case PaymentChange.Changed changed:
                    LogSettled(payment.Id.Value, status, replayed);
                    return new ProcessingOutcome.Settled(changed.Payment, replayed);
                case PaymentChange.Conflict conflict:
                    payment = conflict.Current;
                    continue;
                default:
                    return new ProcessingOutcome.UnknownPayment(payment.Id);
            }
        }

        throw new InvalidOperationException($"Payment {payment.Id} kept changing under {MaxConflicts} attempts; the queue will retry.");
    }

    private async Task<ChargeOutcome> ChargeAsync(Payment payment, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = "error";
        try
        {
            var outcome = await PaymentsTelemetry.TraceGatewayAsync(PaymentsTelemetry.Spans.GatewayCharge, payment.Id.Value, () =>
                gateway.ChargeAsync(new ChargeRequest(payment.Id.Value, payment.Amount, payment.Currency, payment.Source), cancellationToken));
            result = outcome switch
            {
                ChargeOutcome.Charged { Replayed: true } => "replayed",
                ChargeOutcome.Charged => "charged",
                ChargeOutcome.Declined => "declined",
                ChargeOutcome.Voided => "voided",
                _ => "unknown",
            };
            return outcome;
        }
        catch (GatewayUnavailableException)
        {
            result = "unavailable";
            throw;
        }
        finally
        {
            PaymentsTelemetry.ChargeDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(PaymentsTelemetry.Attributes.Outcome, result));
        }
    }

    private async Task<ProcessingOutcome> ReconcileFailedAsync(Payment payment, CancellationToken cancellationToken)
    {
        if (await PaymentsTelemetry.TraceGatewayAsync(PaymentsTelemetry.Spans.GatewayRefund, payment.Id.Value,
                () => gateway.RefundAsync(payment.Id.Value, cancellationToken)) is not { } refund)
        {
            LogAlreadyTerminal(payment.Id.Value, payment.Status);
            return new ProcessingOutcome.AlreadyTerminal(payment);
        }

        LogChargeOnFailedPaymentRefunded(payment.Id.Value, refund.ChargeId, refund.RefundId, refund.Replayed);
        return new ProcessingOutcome.Refunded(payment, refund);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Payment message is unreadable and goes to the dead-letter table: {Problem}")]
    private partial void LogUnreadable(string problem);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Payment {PaymentId} named by a message does not exist")]
    private partial void LogUnknownPayment(string paymentId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Payment {PaymentId} is already {Status}: duplicate delivery, nothing charged")]
    private partial void LogAlreadyTerminal(string paymentId, PaymentStatus status);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Payment {PaymentId} settled as {Status} (charge replayed: {ChargeReplayed})")]
    private partial void LogSettled(string paymentId, PaymentStatus status, bool chargeReplayed);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Payment {PaymentId} is failed but charge {ChargeId} landed for it; refunded as {RefundId} (refund replayed: {RefundReplayed}), the payment stays failed")]
    private partial void LogChargeOnFailedPaymentRefunded(string paymentId, string chargeId, string refundId, bool refundReplayed);
}
