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
    private static readonly PartitionWalk Walk = new(CheckpointPartition, "completer-checkpoint");

    /// <summary>One full pass over every partition, at most <paramref name="maxPayments"/> candidates.</summary>
    public Task<SweepResult> SweepAsync(TimeSpan staleAfter, int maxPayments, CancellationToken cancellationToken) =>
        SweepAsync(staleAfter, maxPayments, SubjectPartitions.Count, cancellationToken);

    /// <summary>
    /// One bounded run (<see cref="PartitionWalk"/>): from the checkpoint, at most <paramref name="maxPartitions"/>
    /// partitions (queried 16 at a time) and at most <paramref name="maxPayments"/> candidates; the next run starts where
    /// this one stopped (at the partition that still has candidates when the batch filled up). Entities read are the
    /// candidates, plus at most 15 batches' worth when a wave holds more candidates than the batch has room for.
    /// </summary>
    public async Task<SweepResult> SweepAsync(TimeSpan staleAfter, int maxPayments, int maxPartitions, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartitions, 1);
        var table = payments.Table;
        var cutoff = time.GetUtcNow() - staleAfter;
        int requeued = 0, changed = 0;
        var walked = await Walk.RunAsync(table, partition => PaymentIndex.DueFilter(partition, cutoff), maxPayments, maxPartitions,
            async (_, dues, ct) =>
            {
                foreach (var due in dues)
                {
                    if (await RearmAndEnqueueAsync(table, due, ct))
                    {
                        Interlocked.Increment(ref requeued);
                    }
                    else
                    {
                        Interlocked.Increment(ref changed);
                    }
                }
            },
            cancellationToken);
        return new SweepResult(walked.Candidates, requeued, changed)
        {
            PartitionsRead = walked.PartitionsRead,
            NextPartition = SubjectPartitions.At(walked.NextPartition),
        };
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
