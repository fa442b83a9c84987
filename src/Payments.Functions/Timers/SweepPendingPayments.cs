using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Payments.Core.Payments;

namespace Payments.Functions.Timers;

/// <summary>Every minute: re-enqueue payments that stayed pending without a message (the outbox completer).</summary>
public sealed class SweepPendingPayments(PendingPaymentSweeper sweeper, IOptions<PaymentsOptions> options)
{
    [Function(nameof(SweepPendingPayments))]
    public async Task Run([TimerTrigger("0 */1 * * * *")] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(timer);
        await sweeper.SweepAsync(TimeSpan.FromSeconds(options.Value.SweepAfterSeconds), options.Value.SweepBatchSize, context.CancellationToken);
    }
}
