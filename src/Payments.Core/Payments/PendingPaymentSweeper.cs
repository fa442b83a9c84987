using Azure;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Payments.Core.Storage;
using Payments.Core.Telemetry;

namespace Payments.Core.Payments;

/// <summary>What one completer run did.</summary>
/// <param name="Examined">Due entries read (only candidates: payments still pending past the threshold).</param>
/// <param name="Requeued">Payments enqueued again.</param>
/// <param name="ChangedMeanwhile">Candidates the processor (or another completer) moved first, left alone.</param>
public sealed record SweepResult(int Examined, int Requeued, int ChangedMeanwhile)
{
    /// <summary>Partitions queried in this run (one range query each).</summary>
    public int PartitionsRead { get; init; }

    /// <summary>The partition the next run starts at.</summary>
    public string NextPartition { get; init; } = SubjectPartitions.At(0);
}

/// <summary>
/// The completer of a transactional outbox: accepting a payment writes it, then enqueues its message. If the process
/// dies between the two, the payment stays pending with no message. The accept batch also writes a due entry beside
/// the payment (<see cref="PaymentIndex"/>), which the processor's first move deletes, so the candidates are exactly the
/// due entries older than the threshold: this reads them with one RowKey range per partition, never completed history,
/// walks the partitions from a checkpoint in bounded runs, and resumes where the last run stopped. A duplicate message is
/// harmless (processing is idempotent), a lost one is not.
/// </summary>
public sealed partial class PendingPaymentSweeper(
    PaymentRepository payments, PaymentMessageSender queue, TimeProvider time, ILogger<PendingPaymentSweeper> logger)
{
    /// <summary>The checkpoint's partition: not a 3-hex partition of the rule, so no payment ever shares it.</summary>
    public const string CheckpointPartition = "outbox";
    private const string CheckpointRow = "completer-checkpoint";
    private const string NextPartitionProperty = "NextPartition";
    private const int PartitionsPerWave = 16;

    /// <summary>One full pass over every partition, at most <paramref name="maxPayments"/> candidates.</summary>
    public Task<SweepResult> SweepAsync(TimeSpan staleAfter, int maxPayments, CancellationToken cancellationToken) =>
        SweepAsync(staleAfter, maxPayments, SubjectPartitions.Count, cancellationToken);

    /// <summary>
    /// One bounded run: from the checkpoint, at most <paramref name="maxPartitions"/> partitions (queried 16 at a time)
    /// and at most <paramref name="maxPayments"/> candidates; the next run starts where this one stopped (at the partition
    /// that still has candidates when the batch filled up). Entities read are the candidates, plus at most 15 batches'
    /// worth when a wave holds more candidates than the batch has room for.
    /// </summary>
    public async Task<SweepResult> SweepAsync(TimeSpan staleAfter, int maxPayments, int maxPartitions, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartitions, 1);
        var table = payments.Table;
        var cutoff = time.GetUtcNow() - staleAfter;
        var start = await ReadCheckpointAsync(table, cancellationToken);
        var limit = Math.Min(maxPartitions, SubjectPartitions.Count);
        int examined = 0, requeued = 0, changed = 0, partitionsRead = 0;
        var next = start;
        var stopped = false;
        for (var i = 0; i < limit && !stopped; i += PartitionsPerWave)
        {
            // A wave of partitions queried together: a run costs its round trips divided by the wave, not summed.
            var room = maxPayments - examined;
            var wave = Enumerable.Range(start + i, Math.Min(PartitionsPerWave, limit - i)).ToArray();
            var pages = await Task.WhenAll(wave.Select(index =>
                FirstPageAsync(table, PaymentIndex.DueFilter(SubjectPartitions.At(index), cutoff), Math.Min(room, 1000), cancellationToken)));
            partitionsRead += wave.Length;
            for (var k = 0; k < wave.Length && !stopped; k++)
            {
                next = wave[k];
                foreach (var due in pages[k].Values)
                {
                    if (examined >= maxPayments)
                    {
                        stopped = true; // candidates remain here: the next run starts with this partition
                        break;
                    }

                    examined++;
                    if (await RearmAndEnqueueAsync(table, due, cancellationToken))
                    {
                        requeued++;
                    }
                    else
                    {
                        changed++;
                    }
                }

                if (!stopped && pages[k].ContinuationToken is not null)
                {
                    stopped = true; // more candidates than one page: the next run starts with this partition
                }

                if (!stopped)
                {
                    next = wave[k] + 1;
                    stopped = examined >= maxPayments;
                }
            }
        }

        await table.UpsertEntityAsync(
            new TableEntity(CheckpointPartition, CheckpointRow) { [NextPartitionProperty] = next % SubjectPartitions.Count },
            TableUpdateMode.Replace, cancellationToken);
        return new SweepResult(examined, requeued, changed) { PartitionsRead = partitionsRead, NextPartition = SubjectPartitions.At(next) };
    }

    private static async Task<Page<TableEntity>> FirstPageAsync(TableClient table, string filter, int size, CancellationToken cancellationToken)
    {
        await foreach (var page in table.QueryAsync<TableEntity>(filter, size, cancellationToken: cancellationToken).AsPages(pageSizeHint: size))
        {
            return page;
        }

        throw new InvalidOperationException("A table query answered no page at all.");
    }

    private static async Task<int> ReadCheckpointAsync(TableClient table, CancellationToken cancellationToken)
    {
        var checkpoint = await table.GetEntityIfExistsAsync<TableEntity>(CheckpointPartition, CheckpointRow, cancellationToken: cancellationToken);
        return checkpoint.HasValue && checkpoint.Value?.GetInt32(NextPartitionProperty) is { } next ? next : 0;
    }

    private async Task<bool> RearmAndEnqueueAsync(TableClient table, TableEntity due, CancellationToken cancellationToken)
    {
        var paymentId = PaymentIndex.PaymentIdOf(due);
        var stored = PaymentEntity.TraceContextOf(due);
        using var span = PaymentsTelemetry.StartPaymentWork(PaymentsTelemetry.Spans.Requeue, ActivityKind.Producer, paymentId, stored);
        try
        {
            // Re-arm first, on the due entry's ETag: of two completers (or a completer and the processor) only one proceeds.
            await table.SubmitTransactionAsync(PaymentIndex.Rearm(due, time.GetUtcNow()), cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 412 or 404)
        {
            span?.SetTag(PaymentsTelemetry.Attributes.Outcome, "changed_meanwhile");
            return false;
        }

        if (!PaymentId.TryParse(paymentId, out var id))
        {
            throw new InvalidDataException($"Due entry {due.RowKey} names '{paymentId}', which is not a payment id.");
        }

        // The message continues the accepting trace: through this span when it is recorded, else as stored.
        await queue.EnqueueAsync(id, PaymentTraceContext.FromActivity(span) ?? stored, cancellationToken);
        span?.SetTag(PaymentsTelemetry.Attributes.Outcome, "requeued");
        PaymentsTelemetry.SweeperRequeues.Add(1);
        LogRequeued(paymentId, due.RowKey);
        return true;
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Payment {PaymentId} was still pending (due entry {DueEntry}); enqueued it again")]
    private partial void LogRequeued(string paymentId, string dueEntry);
}
