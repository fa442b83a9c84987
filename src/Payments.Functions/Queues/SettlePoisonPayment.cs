using Microsoft.Azure.Functions.Worker;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Functions.Queues;

/// <summary>Settles a payment whose message exhausted its retries, without charging (see <see cref="PaymentPoisonSettler"/>).</summary>
public sealed class SettlePoisonPayment(PaymentPoisonSettler settler, PaymentDeadLetters deadLetters)
{
    [Function(nameof(SettlePoisonPayment))]
    public async Task Run(
        [QueueTrigger("%Storage:PaymentsQueue%-poison", Connection = StorageOptions.ConnectionName)] string message,
        string id,
        FunctionContext context)
    {
        if (await settler.SettleAsync(message, context.CancellationToken) is ProcessingOutcome.Unreadable unreadable)
        {
            // A poison queue has no poison queue of its own in Azure (a failure here would cycle unseen until the
            // message expires): the app parks it itself, then completes.
            await deadLetters.ParkAsync(id, message, unreadable.Problem, context.CancellationToken);
        }
    }
}
