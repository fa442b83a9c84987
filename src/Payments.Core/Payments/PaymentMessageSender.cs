using Azure.Storage.Queues;

namespace Payments.Core.Payments;

/// <summary>Sends the messages that ask for payments to be charged, and parks the ones that cannot be read.</summary>
public sealed class PaymentMessageSender(QueueClient queue, QueueClient poisonQueue)
{
    public QueueClient Client => queue;

    public async Task EnqueueAsync(PaymentId id, CancellationToken cancellationToken) =>
        await queue.SendMessageAsync(new PaymentMessage(id).Serialize(), cancellationToken);

    /// <summary>Moves a message no retry can make readable straight to the poison queue, unchanged.</summary>
    public async Task SendToPoisonAsync(string message, CancellationToken cancellationToken) =>
        await poisonQueue.SendMessageAsync(message, cancellationToken);
}
