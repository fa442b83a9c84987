using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Functions.LocalHost.Tests.Infrastructure;

/// <summary>
/// The Azurite started by scripts/test.sh (PAYMENTS_TEST_STORAGE). Tests that touch storage fail, never skip,
/// when it is not there, and say how to start it.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "PAYMENTS_TEST_STORAGE";

    public string ConnectionString { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";

    /// <summary>A table or queue name no other test class uses, so classes run in parallel without sharing data.</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Queue clients that encode as the Functions host does by default (base64).</summary>
    public QueueServiceClient Queues() =>
        new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public TableServiceClient Tables() => new(ConnectionString);

    public async Task InitializeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Queues().GetPropertiesAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is RequestFailedException or OperationCanceledException or AggregateException)
        {
            throw new InvalidOperationException(
                $"Azurite is not reachable ({exception.Message}). Run the tests with scripts/test.sh, which starts it, or start " +
                "one yourself (npx azurite --silent --location .azurite --skipApiVersionCheck) and set " +
                $"{EnvironmentVariable} to its connection string (default: UseDevelopmentStorage=true).", exception);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
