using Azure;

namespace Payments.Core.Storage;

public sealed record StorageHealth(bool TablesReachable, bool QueuesReachable, string? Problem)
{
    public bool IsHealthy => TablesReachable && QueuesReachable;
}

/// <summary>Asks both storage services one cheap question each; a health probe must not wait on retries.</summary>
public sealed class StorageHealthCheck(StorageClientFactory clients)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<StorageHealth> CheckAsync(CancellationToken cancellationToken)
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
}
