using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Payments.Core.Storage;

public sealed record StorageHealth(bool TablesReachable, bool QueuesReachable, string? Problem)
{
    public bool IsHealthy => TablesReachable && QueuesReachable;
}

/// <summary>
/// Asks each table and queue the app uses one cheap question, using only the rights the app has on those tables and
/// queues (in Azure its roles are scoped to them, not to the account, so listing tables or reading the queue
/// service's properties would be refused): a point read of an entity that does not exist in each table, and the
/// properties of each queue. A health probe must not wait on retries. The anonymous health endpoint would otherwise
/// let anyone turn each of their calls into storage calls, so the result is kept for <see cref="CacheDuration"/> on
/// this instance and concurrent probes share one check. (Per-instance state is fine here: the result only reports,
/// it never decides what a request does.)
/// </summary>
public sealed partial class StorageHealthCheck(
    StorageClientFactory clients, StorageOptions names, TimeProvider time, ILogger<StorageHealthCheck> logger)
{
    /// <summary>The key the point read asks for; no entity has it, so a reachable table answers 404 ResourceNotFound.</summary>
    internal const string ProbeKey = "health-probe";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private (StorageHealth Health, DateTimeOffset At)? cached;
    private Task<StorageHealth>? inFlight;
    private long checkCount;

    public StorageHealthCheck(StorageClientFactory clients, StorageOptions names)
        : this(clients, names, TimeProvider.System, NullLogger<StorageHealthCheck>.Instance)
    {
    }

    /// <summary>How many times storage was actually asked (for tests).</summary>
    public long CheckCount => Interlocked.Read(ref checkCount);

    /// <summary>The cached result while it is younger than <see cref="CacheDuration"/>; otherwise one shared check.</summary>
    public Task<StorageHealth> CheckAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (cached is { } last && time.GetUtcNow() - last.At < CacheDuration)
            {
                return Task.FromResult(last.Health);
            }

            if (inFlight is not { IsCompleted: false })
            {
                Interlocked.Increment(ref checkCount);
                inFlight = Task.Run(CheckAndRememberAsync, CancellationToken.None);
            }

            return inFlight.WaitAsync(cancellationToken);
        }
    }

    private async Task<StorageHealth> CheckAndRememberAsync()
    {
        var health = await CheckNowAsync(CancellationToken.None);
        if (!health.IsHealthy)
        {
            LogUnhealthy(logger, health.Problem ?? "unknown");
        }

        lock (gate)
        {
            cached = (health, time.GetUtcNow());
        }

        return health;
    }

    private async Task<StorageHealth> CheckNowAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(names);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var tables = names.AllTables()
            .Select(table => ProbeAsync("Table '" + table + "'", ct => ReadMissingEntityAsync(table, ct), timeout.Token))
            .ToArray();
        var queues = names.AllQueues()
            .Select(queue => ProbeAsync("Queue '" + queue + "'", ct => clients.GetQueueClient(queue).GetPropertiesAsync(ct), timeout.Token))
            .ToArray();
        var tableProblems = (await Task.WhenAll(tables)).OfType<string>().ToArray();
        var queueProblems = (await Task.WhenAll(queues)).OfType<string>().ToArray();
        var problems = tableProblems.Concat(queueProblems).ToArray();
        return new StorageHealth(tableProblems.Length == 0, queueProblems.Length == 0, problems.Length == 0 ? null : string.Join(" ", problems));
    }

    /// <summary>
    /// Reachable when the table answers: 404 ResourceNotFound (the usual answer) or EntityNotFound, or the entity
    /// itself. A missing table answers 404 TableNotFound, which is a problem like any other failure.
    /// </summary>
    private async Task ReadMissingEntityAsync(string table, CancellationToken cancellationToken)
    {
        try
        {
            await clients.GetTableClient(table).GetEntityAsync<TableEntity>(ProbeKey, ProbeKey, ["PartitionKey"], cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404
            && (ex.ErrorCode == TableErrorCode.ResourceNotFound.ToString() || ex.ErrorCode == TableErrorCode.EntityNotFound.ToString()))
        {
        }
    }

    private static async Task<string?> ProbeAsync(string what, Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        try
        {
            await probe(cancellationToken);
            return null;
        }
        catch (RequestFailedException ex)
        {
            return $"{what}: the service answered {ex.Status} ({ex.ErrorCode}).";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return $"{what}: no answer within {Timeout.TotalSeconds:0} s.";
        }
        catch (AggregateException ex)
        {
            return what + ": unreachable: " + ex.InnerExceptions[0].Message;
        }
        catch (HttpRequestException ex)
        {
            return what + ": unreachable: " + ex.Message;
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Health check: storage is unhealthy: {Problem}")]
    private static partial void LogUnhealthy(ILogger logger, string problem);
}
