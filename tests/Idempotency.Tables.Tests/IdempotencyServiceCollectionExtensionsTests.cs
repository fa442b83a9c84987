using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Idempotency.Tables.Tests;

/// <summary>The library's registration on its own: options bound and validated at start, stores over the app's table clients.</summary>
public sealed class IdempotencyServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection()
            .AddLogging()
            .AddIdempotency(configuration, (_, table) => new InMemoryTable(table), _ => "records")
            .BuildServiceProvider();
    }

    [Fact]
    public void AddIdempotency_WhenSettingsAreDefault_ShouldServeOneStorePerTableFromTheAppsClients()
    {
        using var provider = Build();

        var stores = provider.GetRequiredService<IdempotencyStores>();

        Assert.Equal("records", stores.Get().Table.Name);
        Assert.IsType<InMemoryTable>(stores.Get("orders").Table);
        Assert.Same(stores.Get("orders"), stores.Get("orders"));
        Assert.Equal("/problems/", provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value.ProblemTypeBaseUri);
        Assert.NotNull(provider.GetRequiredService<IdempotentRequestProcessor>());
        Assert.NotNull(provider.GetRequiredService<IdempotencyReaper>());
    }

    [Theory]
    [InlineData("Idempotency:LockSeconds", "0", "Idempotency:LockSeconds must be between 1 and 3600")]
    [InlineData("Idempotency:RetentionHours", "721", "Idempotency:RetentionHours must be between 1 and 720")]
    [InlineData("Idempotency:MaxStoredResponseBytes", "786433", "must fit one 1 MiB entity")]
    [InlineData("Idempotency:WaitForInFlightMs", "31000", "must not exceed Idempotency:LockSeconds")]
    [InlineData("Idempotency:ProblemTypeBaseUri", "http://exa mple.com/", "is not a URI")]
    public void AddIdempotency_WhenASettingIsOutOfRange_ShouldRefuseWithTheSettingAndItsRange(string key, string value, string expected)
    {
        using var provider = Build((key, value));

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value);

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }
}
