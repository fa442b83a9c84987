using Microsoft.Extensions.Logging;
using Payments.Core.Payments.Gateway;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

/// <summary>
/// Settles a payment whose message exhausted its retries, without charging: the charge may have gone through before a
/// later step failed, or may still be in flight in a duplicate delivery, so the gateway's key is voided first and the
/// void's answer decides. Either way an error is logged with the payment id.
/// </summary>
public sealed partial class PaymentPoisonSettler(PaymentRepository payments, IPaymentGateway gateway, ILogger<PaymentPoisonSettler> logger)
{
    private const int MaxConflicts = 5;

    public Task<ProcessingOutcome> SettleAsync(string messageText, CancellationToken cancellationToken) =>
        PaymentProcessor.RunTracedAsync(messageText, PaymentsTelemetry.Spans.Settle, LogUnreadable, SettleCountedAsync, cancellationToken);

    private async Task<ProcessingOutcome> SettleCountedAsync(PaymentMessage message, CancellationToken cancellationToken)
    {
        var outcome = await SettleAsync(message, cancellationToken);
        if (outcome is ProcessingOutcome.Settled settled)
        {
            PaymentsTelemetry.PoisonSettles.Add(
                1, new KeyValuePair<string, object?>(PaymentsTelemetry.Attributes.StatusTo, PaymentIndex.ViewOf(settled.Payment.Status)));
        }

        return outcome;
    }

    private async Task<ProcessingOutcome> SettleAsync(PaymentMessage message, CancellationToken cancellationToken)
    {
        var payment = await payments.FindAsync(message.PaymentId, cancellationToken);
        for (var attempt = 0; payment is not null && attempt < MaxConflicts; attempt++)
        {
            if (payment.IsTerminal)
            {
                LogGaveUpOnTerminal(payment.Id.Value, payment.Status);
                return new ProcessingOutcome.AlreadyTerminal(payment);
            }

            // Another delivery may be inside its charge right now. Voiding the gateway's key serializes the two: if
            // the void wins no charge can land any more, so failing is no guess; if the charge won, the payment succeeded.
            var paymentId = payment.Id.Value;
            var chargeFound = await PaymentsTelemetry.TraceGatewayAsync(
                PaymentsTelemetry.Spans.GatewayVoid, paymentId, () => gateway.VoidAsync(paymentId, cancellationToken)) is VoidOutcome.AlreadyCharged;
            var (status, failureCode) = chargeFound
                ? (PaymentStatus.Succeeded, (string?)null)
                : (PaymentStatus.Failed, FailureCodes.ProcessingError);
            switch (await payments.MoveAsync(payment, status, failureCode, cancellationToken))
            {
                case PaymentChange.Changed changed:
                    LogSettledFromPoison(payment.Id.Value, status, chargeFound);
                    return new ProcessingOutcome.Settled(changed.Payment, chargeFound);
                case PaymentChange.Conflict conflict:
                    payment = conflict.Current;
                    continue;
                default:
                    payment = null;
                    break;
            }
        }

        if (payment is null)
        {
            LogUnknownPayment(message.PaymentId.Value);
            return new ProcessingOutcome.UnknownPayment(message.PaymentId);
        }

        throw new InvalidOperationException($"Payment {payment.Id} kept changing under {MaxConflicts} attempts.");
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Poison payment message is unreadable and goes to the dead-letter table: {Problem}")]
    private partial void LogUnreadable(string problem);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Payment {PaymentId} exhausted its retries but is already {Status}; nothing to settle")]
    private partial void LogGaveUpOnTerminal(string paymentId, PaymentStatus status);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "Payment {PaymentId} exhausted its retries and was settled as {Status} without charging (charge found when voiding at the gateway: {ChargeFound})")]
    private partial void LogSettledFromPoison(string paymentId, PaymentStatus status, bool chargeFound);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Error, Message = "Poison message names payment {PaymentId}, which does not exist")]
    private partial void LogUnknownPayment(string paymentId);
}
