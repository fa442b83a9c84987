using Idempotency.Functions;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Payments.Functions.Timers;

/// <summary>On Idempotency:ReaperSchedule (every 15 minutes by default): delete expired idempotency records, in bounded batches, from every table that keeps them.</summary>
public sealed class ReapIdempotencyRecords(IdempotencyReaper reaper, IdempotencyStores stores, IOptions<IdempotentFunctionsOptions> idempotency)
{
    [Function(nameof(ReapIdempotencyRecords))]
    public async Task Run([TimerTrigger("%Idempotency:ReaperSchedule%")] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(timer);
        // The default table and every table registered for an idempotent function: the one list of tables that keep records.
        foreach (var table in idempotency.Value.Tables().Prepend(stores.DefaultTable).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            await reaper.ReapAsync(table, context.CancellationToken);
        }
    }
}
