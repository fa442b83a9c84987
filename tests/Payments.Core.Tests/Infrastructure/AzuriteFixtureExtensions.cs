using Azure.Core.Pipeline;
using Payments.Core.Storage;

namespace Payments.Core.Tests;

public static class AzuriteFixtureExtensions
{
    /// <summary>
    /// The payments app's own client factory over the test Azurite, behind the fixture's strict storage guard and the
    /// test's policies: for code under test that takes a <see cref="StorageClientFactory"/>.
    /// </summary>
    public static StorageClientFactory CreateAppClients(this AzuriteFixture azurite, params HttpPipelinePolicy[] policies)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        return new(new StorageConnection.ConnectionString(azurite.ConnectionString), azurite.StoragePolicies(policies));
    }
}
