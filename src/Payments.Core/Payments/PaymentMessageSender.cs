using Azure.Storage.Queues;

namespace Payments.Core.Payments;

/// <summary>Sends the messages that ask for payments to be charged.</summary>
public sealed class PaymentMessageSender(QueueClient queue)
{
    public QueueClient Client => queue;

    public async Task EnqueueAsync(PaymentId id, CancellationToken cancellationToken) =>
        await queue.SendMessageAsync(new PaymentMessage(id).Serialize(), cancellationToken);
}
