using Azure;
using Azure.Data.Tables;

namespace Idempotency.Tables;

/// <summary>What one walk did.</summary>
/// <param name="Candidates">Entities handed to the visitor (all the walk read, but for a wave cut short by a full batch).</param>
/// <param name="PartitionsRead">Partitions queried (one range query each).</param>
/// <param name="NextPartition">Where the next walk starts, as an index into <see cref="SubjectPartitions.At"/>.</param>
/// <param name="StoppedOnFullBatch">The walk stopped because it had <c>maxCandidates</c>: more may wait where it stopped.</param>
public sealed record PartitionWalkResult(int Candidates, int PartitionsRead, int NextPartition, bool StoppedOnFullBatch);

/// <summary>
/// How a background job reads only its candidates without scanning the table: one RowKey range query per partition
/// (<c>PartitionKey eq</c> plus RowKey bounds, contract rule 1), over the 4,096 partitions of <see cref="SubjectPartitions"/>
/// from a checkpoint, 16 partitions queried at a time, in bounded runs. The next run starts where this one stopped: at the
/// partition that still has candidates when the batch filled up, else after the last one drained. The checkpoint is an
/// entity of its own in a partition that is not a 3-hex partition of the rule, so no item ever shares it.
/// </summary>
/// <param name="CheckpointPartition">Not three hex digits: the checkpoint never shares a partition with an item.</param>
/// <param name="CheckpointRow">Which job's checkpoint.</param>
public sealed record PartitionWalk(string CheckpointPartition, string CheckpointRow)
{
    private const string NextPartitionProperty = "NextPartition";
    private const int PartitionsPerWave = 16;
    private const int MaxPageSize = 1000;

    /// <summary>
    /// One bounded run over <paramref name="table"/>: at most <paramref name="maxPartitions"/> partitions and at most
    /// <paramref name="maxCandidates"/> candidates. <paramref name="filter"/> gives a partition's range query;
    /// <paramref name="visit"/> gets each partition's candidates (the partitions of one wave concurrently, a partition's
    /// own candidates together, in row-key order). Entities read are the candidates, plus at most 15 batches' worth when
    /// a wave holds more than the batch has room for.
    /// </summary>
    public async Task<PartitionWalkResult> RunAsync(
        TableClient table, Func<string, string> filter, int maxCandidates, int maxPartitions,
        Func<string, IReadOnlyList<TableEntity>, CancellationToken, Task> visit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCandidates, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartitions, 1);
        var start = await ReadCheckpointAsync(table, cancellationToken);
        var limit = Math.Min(maxPartitions, SubjectPartitions.Count);
        int candidates = 0, partitionsRead = 0;
        var next = start;
        var stopped = false;
        var full = false;
        for (var i = 0; i < limit && !stopped; i += PartitionsPerWave)
        {
            // A wave of partitions queried together: a run costs its round trips divided by the wave, not summed.
            var room = maxCandidates - candidates;
            var wave = Enumerable.Range(start + i, Math.Min(PartitionsPerWave, limit - i)).ToArray();
            var pages = await Task.WhenAll(wave.Select(index =>
                FirstPageAsync(table, filter(SubjectPartitions.At(index)), Math.Min(room, MaxPageSize), cancellationToken)));
            partitionsRead += wave.Length;
            var visits = new List<Task>(wave.Length);
            for (var k = 0; k < wave.Length && !stopped; k++)
            {
                next = wave[k];
                var values = pages[k].Values;
                var taken = values.Take(maxCandidates - candidates).ToArray();
                candidates += taken.Length;
                if (taken.Length > 0)
                {
                    visits.Add(visit(SubjectPartitions.At(wave[k]), taken, cancellationToken));
                }

                if (taken.Length < values.Count || pages[k].ContinuationToken is not null)
                {
                    stopped = full = true; // candidates remain here: the next run starts with this partition
                }
                else
                {
                    next = wave[k] + 1;
                    stopped = full = candidates >= maxCandidates;
                }
            }

            await Task.WhenAll(visits);
        }

        next %= SubjectPartitions.Count;
        await table.UpsertEntityAsync(
            new TableEntity(CheckpointPartition, CheckpointRow) { [NextPartitionProperty] = next }, TableUpdateMode.Replace, cancellationToken);
        return new PartitionWalkResult(candidates, partitionsRead, next, full);
    }

    private static async Task<Page<TableEntity>> FirstPageAsync(TableClient table, string filter, int size, CancellationToken cancellationToken)
    {
        await foreach (var page in table.QueryAsync<TableEntity>(filter, size, cancellationToken: cancellationToken).AsPages(pageSizeHint: size))
        {
            return page;
        }

        throw new InvalidOperationException("A table query answered no page at all.");
    }

    private async Task<int> ReadCheckpointAsync(TableClient table, CancellationToken cancellationToken)
    {
        var checkpoint = await table.GetEntityIfExistsAsync<TableEntity>(CheckpointPartition, CheckpointRow, cancellationToken: cancellationToken);
        return checkpoint.HasValue && checkpoint.Value?.GetInt32(NextPartitionProperty) is { } next ? next : 0;
    }
}
