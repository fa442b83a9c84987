using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Payments.Core.Storage;

public sealed record StorageHealth(bool TablesReachable, bool QueuesReachable, string? Problem)
{
    public bool IsHealthy => TablesReachable && QueuesReachable;
}

/// <summary>
/// Asks both storage services one cheap question each; a health probe must not wait on retries. The anonymous health
/// endpoint would otherwise let anyone turn each of their calls into two storage calls, so the result is kept for
/// <see cref="CacheDuration"/> on this instance and concurrent probes share one check. (Per-instance state is fine
/// here: the result only reports, it never decides what a request does.)
/// </summary>
public sealed partial class StorageHealthCheck(StorageClientFactory clients, TimeProvider time, ILogger<StorageHealthCheck> logger)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private (StorageHealth Health, DateTimeOffset At)? cached;
    private Task<StorageHealth>? inFlight;
    private long checkCount;

    public StorageHealthCheck(StorageClientFactory clients)
        : this(clients, TimeProvider.System, NullLogger<StorageHealthCheck>.Instance)
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var tables = ProbeAsync(async ct =>
        {
            await foreach (var _ in clients.TableService.QueryAsync(maxPerPage: 1, cancellationToken: ct).AsPages().WithCancellation(ct))
            {
                break;
            }
        }, timeout.Token);
        var queues = ProbeAsync(ct => clients.QueueService.GetPropertiesAsync(ct), timeout.Token);
        var results = await Task.WhenAll(tables, queues);
        var problem = (results[0], results[1]) switch
        {
            (null, null) => null,
            (string t, null) => "Table storage: " + t,
            (null, string q) => "Queue storage: " + q,
            (string t, string q) => $"Table storage: {t} Queue storage: {q}",
        };
        return new StorageHealth(results[0] is null, results[1] is null, problem);
    }

    private static async Task<string?> ProbeAsync(Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        try
        {
            await probe(cancellationToken);
            return null;
        }
        catch (RequestFailedException ex)
        {
            return $"the service answered {ex.Status} ({ex.ErrorCode}).";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {Timeout.TotalSeconds:0} s.";
        }
        catch (AggregateException ex)
        {
            return "unreachable: " + ex.InnerExceptions[0].Message;
        }
        catch (HttpRequestException ex)
        {
            return "unreachable: " + ex.Message;
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Health check: storage is unhealthy: {Problem}")]
    private static partial void LogUnhealthy(ILogger logger, string problem);
}
