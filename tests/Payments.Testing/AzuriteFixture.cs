using Azure;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Xunit;

namespace Payments.Testing;

/// <summary>
/// The Azurite started by scripts/test.sh (PAYMENTS_TEST_STORAGE). Tests that touch storage fail, never skip,
/// when it is not there, and say how to start it.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "PAYMENTS_TEST_STORAGE";

    public string ConnectionString { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";

    /// <summary>Sees every request of every client made here: a cross-partition query fails the call and the run.</summary>
    public StorageGuard StorageGuard { get; } = new();

    /// <summary>Clients behind the strict storage guard, plus the test's own policies (counters, fault injection).</summary>
    public AzuriteClients CreateClients(params HttpPipelinePolicy[] policies) => new(ConnectionString, StoragePolicies(policies));

    /// <summary>
    /// The strict storage guard followed by the test's own policies: what an app's own client factory is given, so its
    /// clients are held to the same rules as <see cref="CreateClients"/>.
    /// </summary>
    public IReadOnlyList<HttpPipelinePolicy> StoragePolicies(params HttpPipelinePolicy[] policies) =>
        [new StrictStoragePolicy(StorageGuard), .. policies];

    /// <summary>A table or queue name no other test class uses, so classes run in parallel without sharing data.</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        // Any answer from the service will do, a 404 for a queue nobody created included.
        string? problem = null;
        try
        {
            _ = await CreateClients().GetQueueClient(UniqueName("reachable")).ExistsAsync();
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
        {
            problem = ex.Message;
        }

        if (problem is not null)
        {
            throw new InvalidOperationException(
                $"Azurite is not reachable ({problem}). Run the tests with scripts/test.sh, which starts it, or start " +
                "one yourself (npx azurite --silent --location .azurite --skipApiVersionCheck) and set " +
                $"{EnvironmentVariable} to its connection string (default: UseDevelopmentStorage=true).");
        }
    }

    /// <summary>Fails the run when code under test broke contract rule 1 and swallowed the guard's exception.</summary>
    public Task DisposeAsync()
    {
        StorageGuard.ThrowIfViolated();
        return Task.CompletedTask;
    }

    public async Task<TableClient> CreateTableAsync(string prefix)
    {
        var table = CreateClients().GetTableClient(UniqueName(prefix));
        await table.CreateIfNotExistsAsync();
        return table;
    }
}
