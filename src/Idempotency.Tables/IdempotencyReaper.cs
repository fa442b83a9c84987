using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idempotency.Tables;

/// <summary>What one reaper run did.</summary>
/// <param name="Scanned">Expiry entries read (only candidates: entries whose hour has passed; at most the batch size).</param>
/// <param name="Deleted">Expired records deleted, each with its entry.</param>
/// <param name="Skipped">Entries whose record changed (re-claimed) or vanished between the reads and the delete: kept for the next pass.</param>
public sealed record ReaperResult(int Scanned, int Deleted, int Skipped)
{
    /// <summary>The batch was full, so more expired records may be waiting for the next run.</summary>
    public bool BatchFull { get; init; }

    /// <summary>Stale entries removed: their record was renewed later (and has a later entry) or is gone.</summary>
    public int Stale { get; init; }

    /// <summary>Partitions queried in this run (one range query each).</summary>
    public int PartitionsRead { get; init; }
}

/// <summary>
/// Deletes expired idempotency records in bounded batches, reading only candidates. Expired records already count as
/// absent to claims; this only keeps the table small. Every write that sets a record's expiry also writes an expiry entry
/// (<c>exp-{hour}-{record row key}</c>) beside it in the same transaction; a run walks the partitions from its checkpoint
/// (<see cref="PartitionWalk"/>, as the outbox completer does), reads the entries of past hours with one RowKey range per
/// partition, reads each named record's expiry with one point read, and deletes an expired record together with its entry
/// in one batch conditional on both ETags, so a record re-claimed meanwhile is kept. An entry whose record was renewed or
/// is gone is removed alone. Completed history that has not expired is never read.
/// </summary>
public sealed class IdempotencyReaper
{
    /// <summary>The checkpoint's partition in each table: not a 3-hex partition of the rule, so no record ever shares it.</summary>
    public const string CheckpointPartition = "idempotency";
    private static readonly PartitionWalk Walk = new(CheckpointPartition, "reaper-checkpoint");

    private readonly IdempotencyStores _stores;
    private readonly IdempotencyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the reaper over the stores of every record table.</summary>
    public IdempotencyReaper(IdempotencyStores stores, IOptions<IdempotencyOptions> options, TimeProvider time, ILogger<IdempotencyReaper> logger)
    {
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Reaps one batch in <paramref name="table"/> (null: the default idempotency table), in one full pass at most.</summary>
    public Task<ReaperResult> ReapAsync(string? table, CancellationToken cancellationToken) =>
        ReapAsync(table, SubjectPartitions.Count, cancellationToken);

    /// <summary>
    /// One bounded run: from the table's checkpoint, at most <paramref name="maxPartitions"/> partitions and at most
    /// <c>Idempotency:ReaperBatchSize</c> entries; the next run starts where this one stopped.
    /// </summary>
    public async Task<ReaperResult> ReapAsync(string? table, int maxPartitions, CancellationToken cancellationToken)
    {
        var client = _stores.Get(table).Table;
        var now = _time.GetUtcNow();
        int deleted = 0, stale = 0, skipped = 0;
        var walked = await Walk.RunAsync(client, partition => IdempotencyRecord.ExpiredEntriesFilter(partition, now), _options.ReaperBatchSize, maxPartitions,
            async (_, entries, ct) =>
            {
                // One partition's entries in order: two entries of one record never race each other.
                foreach (var entry in entries)
                {
                    switch (await ReapAsync(client, entry, now, ct))
                    {
                        case Reaped.Record: Interlocked.Increment(ref deleted); break;
                        case Reaped.StaleEntry: Interlocked.Increment(ref stale); break;
                        default: Interlocked.Increment(ref skipped); break;
                    }
                }
            },
            cancellationToken);

        _logger.Reaped(deleted, skipped, walked.Candidates);
        return new ReaperResult(walked.Candidates, deleted, skipped)
        {
            BatchFull = walked.StoppedOnFullBatch,
            Stale = stale,
            PartitionsRead = walked.PartitionsRead,
        };
    }

    private static async Task<Reaped> ReapAsync(TableClient client, TableEntity entry, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (entry.ETag == default)
        {
            return Reaped.Nothing; // without an ETag the delete would be unconditional: never risk a renewed entry
        }

        var recordRowKey = IdempotencyRecord.RecordRowKeyOf(entry.RowKey);
        var record = await client.GetEntityIfExistsAsync<TableEntity>(
            entry.PartitionKey, recordRowKey, [IdempotencyRecord.ExpiresAtProperty], cancellationToken);
        try
        {
            if (record.HasValue && record.Value!.GetDateTimeOffset(IdempotencyRecord.ExpiresAtProperty) is { } expiresAt && expiresAt <= now
                && record.Value.ETag != default)
            {
                await client.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(entry.PartitionKey, recordRowKey), record.Value.ETag),
                     new TableTransactionAction(TableTransactionActionType.Delete, entry, entry.ETag)], cancellationToken);
                return Reaped.Record;
            }

            // Gone, or renewed after this entry was written (its new expiry has an entry of its own): the entry is stale.
            var removed = await client.DeleteEntityAsync(entry.PartitionKey, entry.RowKey, entry.ETag, cancellationToken);
            return removed.Status == 404 ? Reaped.Nothing : Reaped.StaleEntry;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return Reaped.Nothing; // changed between our reads and the delete: the next pass looks again
        }
    }

    private enum Reaped
    {
        Nothing,
        Record,
        StaleEntry,
    }
}
