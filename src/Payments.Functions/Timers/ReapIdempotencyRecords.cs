using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Payments.Core.Storage;

namespace Payments.Functions.Timers;

/// <summary>On Idempotency:ReaperSchedule (every 15 minutes by default): delete expired idempotency records, in bounded batches, from every table that keeps them.</summary>
public sealed class ReapIdempotencyRecords(IdempotencyReaper reaper, IOptions<StorageOptions> storage)
{
    [Function(nameof(ReapIdempotencyRecords))]
    public async Task Run([TimerTrigger("%Idempotency:ReaperSchedule%")] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(timer);
        foreach (var table in new[] { storage.Value.IdempotencyTable, storage.Value.PaymentsTable, storage.Value.CustomersTable })
        {
            await reaper.ReapAsync(table, context.CancellationToken);
        }
    }
}
