using Azure.Storage.Queues;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

/// <summary>
/// Sends the messages that ask for payments to be charged. <paramref name="writeTraceContext"/> false leaves the optional
/// trace context out of messages: the first step when upgrading from a build whose readers refused unknown properties
/// (Payments:MessageTraceContext, docs/observability.md).
/// </summary>
public sealed class PaymentMessageSender(QueueClient queue, bool writeTraceContext = true)
{
    public QueueClient Client => queue;

    public async Task EnqueueAsync(PaymentId id, PaymentTraceContext? traceContext, CancellationToken cancellationToken) =>
        await queue.SendMessageAsync(
            new PaymentMessage(id) { TraceContext = writeTraceContext ? traceContext : null }.Serialize(), cancellationToken);
}
