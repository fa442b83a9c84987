using Microsoft.Azure.Functions.Worker;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Functions.Queues;

/// <summary>
/// Charges the payment a message names. Throwing hands the message back to the queue for a retry; after the last
/// attempt the host moves it to the poison queue, where <see cref="SettlePoisonPayment"/> takes over.
/// </summary>
public sealed class ProcessPayment(PaymentProcessor processor, PaymentMessageSender messages)
{
    [Function(nameof(ProcessPayment))]
    public async Task Run(
        [QueueTrigger("%Storage:PaymentsQueue%", Connection = StorageOptions.ConnectionName)] string message,
        FunctionContext context)
    {
        if (await processor.ProcessAsync(message, context.CancellationToken) is ProcessingOutcome.Unreadable)
        {
            // Retrying cannot make it readable: park it in the poison queue at once, as it is.
            await messages.SendToPoisonAsync(message, context.CancellationToken);
        }
    }
}
