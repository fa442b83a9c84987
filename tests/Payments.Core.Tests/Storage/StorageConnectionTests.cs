using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Payments.Core.Storage;

namespace Payments.Core.Tests.Storage;

public sealed class StorageConnectionTests
{
    private static StorageConnection Resolve(Dictionary<string, string?> settings) =>
        ServiceCollectionExtensions.ResolveConnection(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), "PaymentsStorage");

    [Fact]
    public void Resolve_WhenConnectionStringIsSet_ShouldUseIt()
    {
        var connection = Resolve(new() { ["PaymentsStorage"] = "UseDevelopmentStorage=true" });

        var connectionString = Assert.IsType<StorageConnection.ConnectionString>(connection);
        Assert.Equal("UseDevelopmentStorage=true", connectionString.Value);
        Assert.DoesNotContain("UseDevelopmentStorage", connectionString.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_WhenServiceUrisAreSet_ShouldUseManagedIdentityWithClientId()
    {
        var connection = Resolve(new()
        {
            ["PaymentsStorage:tableServiceUri"] = "https://acct.table.core.windows.net",
            ["PaymentsStorage:queueServiceUri"] = "https://acct.queue.core.windows.net",
            ["PaymentsStorage:credential"] = "managedidentity",
            ["PaymentsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        });

        var uris = Assert.IsType<StorageConnection.ServiceUris>(connection);
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), uris.TableServiceUri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net"), uris.QueueServiceUri);
        Assert.Equal("00000000-0000-0000-0000-000000000001", uris.ClientId);
        Assert.IsType<ManagedIdentityCredential>(StorageClientFactory.CreateCredential(uris));
    }

    [Fact]
    public void Resolve_WhenOnlyAccountNameIsSet_ShouldDeriveServiceUrisAndUseDefaultCredential()
    {
        var connection = Resolve(new() { ["PaymentsStorage:accountName"] = "acct" });

        var uris = Assert.IsType<StorageConnection.ServiceUris>(connection);
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), uris.TableServiceUri);
        Assert.Equal(new Uri("https://acct.queue.core.windows.net"), uris.QueueServiceUri);
        Assert.IsType<DefaultAzureCredential>(StorageClientFactory.CreateCredential(uris));
    }

    [Fact]
    public void Resolve_WhenNothingIsSet_ShouldExplainBothWays()
    {
        var error = Assert.Throws<StorageConfigurationException>(() => Resolve([]));

        Assert.Contains("UseDevelopmentStorage=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("PaymentsStorage__tableServiceUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_WhenUriIsPlainHttpOffLoopback_ShouldRefuse()
    {
        var error = Assert.Throws<StorageConfigurationException>(() => Resolve(new()
        {
            ["PaymentsStorage:tableServiceUri"] = "http://acct.table.core.windows.net",
            ["PaymentsStorage:queueServiceUri"] = "https://acct.queue.core.windows.net",
        }));

        Assert.Contains("https", error.Message, StringComparison.Ordinal);
    }
}
