using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Payments.Testing;

/// <summary>
/// Table and queue clients for the test Azurite, with every request passing the given pipeline policies (the strict
/// storage guard first, then a test's counters or fault injectors). Built here rather than by an app's own factory, so
/// the library's tests run without the payments app.
/// </summary>
public sealed class AzuriteClients
{
    private readonly Lazy<TableServiceClient> _tables;
    private readonly Lazy<QueueServiceClient> _queues;

    public AzuriteClients(string connectionString, IEnumerable<HttpPipelinePolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(policies);
        var all = policies.ToArray();
        _tables = new(() => new TableServiceClient(connectionString, Configure(new TableClientOptions(), all)));
        // The Functions host reads and writes queue messages as base64 by default (host.json messageEncoding).
        _queues = new(() => new QueueServiceClient(connectionString, Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, all)));
    }

    public TableServiceClient TableService => _tables.Value;

    public QueueServiceClient QueueService => _queues.Value;

    public TableClient GetTableClient(string tableName) => TableService.GetTableClient(tableName);

    public QueueClient GetQueueClient(string queueName) => QueueService.GetQueueClient(queueName);

    private static T Configure<T>(T options, HttpPipelinePolicy[] policies)
        where T : ClientOptions
    {
        // The retry an app's clients use (3 retries, short delays): fault-injection tests count the attempts.
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        options.Diagnostics.IsLoggingContentEnabled = false;
        foreach (var policy in policies)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }

        return options;
    }
}
