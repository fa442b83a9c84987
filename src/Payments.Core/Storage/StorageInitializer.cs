using Azure;
using Microsoft.Extensions.Options;

namespace Payments.Core.Storage;

/// <summary>
/// Creates the tables and queues the app uses when they are missing (Azurite, a fresh account). In Azure the Bicep
/// template creates them and <c>Storage:CreateIfMissing</c> is false, so a cold start costs no extra calls.
/// </summary>
public sealed class StorageInitializer(StorageClientFactory clients, IOptions<StorageOptions> options)
{
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var names = options.Value;
        if (!names.CreateIfMissing)
        {
            return;
        }

        var tables = names.AllTables();
        var queues = names.AllQueues();
        await Task.WhenAll(
            tables.Select(table => IgnoreConflict(() => clients.GetTableClient(table).CreateIfNotExistsAsync(cancellationToken)))
                .Concat(queues.Select(queue => IgnoreConflict(() => clients.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken)))));
    }

    private static async Task IgnoreConflict(Func<Task> create)
    {
        try
        {
            await create();
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Being deleted or created concurrently by another instance: the next call sees it settled.
        }
    }
}
