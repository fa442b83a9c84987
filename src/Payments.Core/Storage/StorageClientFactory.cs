using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;

namespace Payments.Core.Storage;

/// <summary>
/// Creates the storage clients for one connection. Extra pipeline policies (a transaction counter, a fault injector)
/// are added to every client, so tests and benchmarks observe exactly the calls the app makes.
/// </summary>
public sealed class StorageClientFactory
{
    private readonly StorageConnection _connection;
    private readonly IReadOnlyList<HttpPipelinePolicy> _policies;
    private readonly Lazy<TableServiceClient> _tables;
    private readonly Lazy<QueueServiceClient> _queues;

    public StorageClientFactory(StorageConnection connection, IEnumerable<HttpPipelinePolicy>? policies = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _policies = policies?.ToArray() ?? [];
        _tables = new Lazy<TableServiceClient>(CreateTableServiceClient);
        _queues = new Lazy<QueueServiceClient>(CreateQueueServiceClient);
    }

    public StorageConnection Connection => _connection;

    public TableServiceClient TableService => _tables.Value;

    public QueueServiceClient QueueService => _queues.Value;

    public TableClient GetTableClient(string tableName) => TableService.GetTableClient(tableName);

    public QueueClient GetQueueClient(string queueName) => QueueService.GetQueueClient(queueName);

    /// <summary>The credential used for an identity-based connection, exposed so the choice can be tested.</summary>
    public static TokenCredential CreateCredential(StorageConnection.ServiceUris connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (string.Equals(connection.Credential, "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return connection.ClientId is null
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(connection.ClientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = connection.ClientId });
    }

    private TableServiceClient CreateTableServiceClient()
    {
        var options = new TableClientOptions();
        Configure(options);
        return _connection switch
        {
            StorageConnection.ConnectionString cs => new TableServiceClient(cs.Value, options),
            StorageConnection.ServiceUris uris => new TableServiceClient(uris.TableServiceUri, CreateCredential(uris), options),
            _ => throw new InvalidOperationException("Unknown storage connection kind."),
        };
    }

    private QueueServiceClient CreateQueueServiceClient()
    {
        // The Functions host reads and writes queue messages as base64 by default (host.json messageEncoding).
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        Configure(options);
        return _connection switch
        {
            StorageConnection.ConnectionString cs => new QueueServiceClient(cs.Value, options),
            StorageConnection.ServiceUris uris => new QueueServiceClient(uris.QueueServiceUri, CreateCredential(uris), options),
            _ => throw new InvalidOperationException("Unknown storage connection kind."),
        };
    }

    private void Configure(ClientOptions options)
    {
        // Fail fast enough for an HTTP caller; the caller's own retry (with its idempotency key) does the rest.
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        options.Diagnostics.IsLoggingContentEnabled = false;
        foreach (var policy in _policies)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }
    }
}
