using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idempotency.Tables;

/// <summary>What one reaper run did.</summary>
/// <param name="Scanned">Expired records found (at most the batch size).</param>
/// <param name="Deleted">Records deleted.</param>
/// <param name="Skipped">Records that changed (re-claimed) or vanished between the query and the delete, and were kept.</param>
public sealed record ReaperResult(int Scanned, int Deleted, int Skipped)
{
    /// <summary>The batch was full, so more expired records may be waiting for the next run.</summary>
    public bool BatchFull { get; init; }
}

/// <summary>
/// Deletes expired idempotency records in bounded batches. Expired records already count as absent to claims; this only
/// keeps the table small. Each delete is conditional on the ETag the query returned, so a record re-claimed between the
/// query and the delete is kept.
/// </summary>
public sealed class IdempotencyReaper
{
    private const int DeleteParallelism = 4;
    private const int MaxPageSize = 1000;

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

    /// <summary>Reaps one batch in <paramref name="table"/> (null: the default idempotency table).</summary>
    public async Task<ReaperResult> ReapAsync(string? table, CancellationToken cancellationToken)
    {
        var client = _stores.Get(table).Table;
        var now = _time.GetUtcNow();
        const string from = IdempotencyRecordKey.RowKeyPrefix;
        // The row-key range keeps resources that share the table out of the query; '.' sorts right after '-'.
        var to = from[..^1] + (char)(from[^1] + 1);
        var filter = TableClient.CreateQueryFilter($"RowKey ge {from} and RowKey lt {to} and ExpiresAt lt {now}");
        var batch = _options.ReaperBatchSize;

        var expired = new List<TableEntity>(Math.Min(batch, MaxPageSize));
        await foreach (var entity in client.QueryAsync<TableEntity>(filter, Math.Min(batch, MaxPageSize),
                           [nameof(TableEntity.PartitionKey), nameof(TableEntity.RowKey)], cancellationToken))
        {
            expired.Add(entity);
            if (expired.Count >= batch)
            {
                break;
            }
        }

        var deleted = 0;
        var skipped = 0;
        await Parallel.ForEachAsync(expired, new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancellationToken },
            async (entity, ct) =>
            {
                if (await TryDeleteAsync(client, entity, ct))
                {
                    Interlocked.Increment(ref deleted);
                }
                else
                {
                    Interlocked.Increment(ref skipped);
                }
            });

        _logger.Reaped(deleted, skipped, expired.Count);
        return new ReaperResult(expired.Count, deleted, skipped) { BatchFull = expired.Count >= batch };
    }

    private static async Task<bool> TryDeleteAsync(TableClient client, TableEntity entity, CancellationToken cancellationToken)
    {
        if (entity.ETag == default)
        {
            return false; // without an ETag the delete would be unconditional: never risk a live record
        }

        try
        {
            var response = await client.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, cancellationToken);
            return response.Status != 404;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }
}
