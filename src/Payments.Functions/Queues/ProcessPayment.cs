using Microsoft.Azure.Functions.Worker;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Functions.Queues;

/// <summary>
/// Charges the payment a message names. Throwing hands the message back to the queue for a retry; after the last
/// attempt the host moves it to the poison queue, where <see cref="SettlePoisonPayment"/> takes over.
/// </summary>
public sealed class ProcessPayment(PaymentProcessor processor, PaymentDeadLetters deadLetters)
{
    [Function(nameof(ProcessPayment))]
    public async Task Run(
        [QueueTrigger("%Storage:PaymentsQueue%", Connection = StorageOptions.ConnectionName)] string message,
        string id,
        FunctionContext context)
    {
        if (await processor.ProcessAsync(message, context.CancellationToken) is ProcessingOutcome.Unreadable unreadable)
        {
            // Retrying cannot make it readable: park it, as it is, where an operator sees it; completing deletes it here.
            await deadLetters.ParkAsync(id, message, unreadable.Problem, context.CancellationToken);
        }
    }
}
