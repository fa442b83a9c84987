using Microsoft.Azure.Functions.Worker;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Functions.Queues;

/// <summary>Settles a payment whose message exhausted its retries, without charging (see <see cref="PaymentPoisonSettler"/>).</summary>
public sealed class SettlePoisonPayment(PaymentPoisonSettler settler)
{
    [Function(nameof(SettlePoisonPayment))]
    public async Task Run(
        [QueueTrigger("%Storage:PaymentsQueue%-poison", Connection = StorageOptions.ConnectionName)] string message,
        FunctionContext context)
    {
        if (await settler.SettleAsync(message, context.CancellationToken) is ProcessingOutcome.Unreadable unreadable)
        {
            // Completing would delete the only copy. Failing keeps it: after its retries the host parks it in
            // "<queue>-poison-poison", which nothing reads, for an operator to inspect.
            throw new UnreadablePaymentMessageException(unreadable.Problem);
        }
    }
}
