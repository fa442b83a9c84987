using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Payments.Core.Payments;

namespace Payments.Functions.Timers;

/// <summary>On Payments:SweepSchedule (every minute by default): re-enqueue payments that stayed pending without a message (the outbox completer).</summary>
public sealed class SweepPendingPayments(PendingPaymentSweeper sweeper, IOptions<PaymentsOptions> options)
{
    [Function(nameof(SweepPendingPayments))]
    public async Task Run([TimerTrigger("%Payments:SweepSchedule%")] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(timer);
        await sweeper.SweepAsync(TimeSpan.FromSeconds(options.Value.SweepAfterSeconds), options.Value.SweepBatchSize, options.Value.SweepPartitionsPerRun, context.CancellationToken);
    }
}
