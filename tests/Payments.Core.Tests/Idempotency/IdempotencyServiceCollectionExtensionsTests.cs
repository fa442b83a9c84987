using Idempotency.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Payments.Core.Tests.Idempotency;

public sealed class IdempotencyServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["PaymentsStorage"] = "UseDevelopmentStorage=true" })
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        return new ServiceCollection().AddLogging().AddPaymentsCore(configuration).BuildServiceProvider();
    }

    [Fact]
    public void AddPaymentsCore_WhenSettingsAreDefault_ShouldRegisterTheIdempotencyLayer()
    {
        using var provider = Build();

        var options = provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
        Assert.Equal(30, options.LockSeconds);
        Assert.Equal(24, options.RetentionHours);
        Assert.Equal(0, options.WaitForInFlightMs);
        Assert.Equal(65536, options.MaxRequestBodyBytes);
        Assert.NotNull(provider.GetRequiredService<IdempotentRequestProcessor>());
        Assert.NotNull(provider.GetRequiredService<IdempotencyReaper>());
        Assert.Equal("idempotency", provider.GetRequiredService<IdempotencyStores>().Get().Table.Name);
        Assert.Equal("payments", provider.GetRequiredService<IdempotencyStores>().Get("payments").Table.Name);
    }

    [Fact]
    public void AddPaymentsCore_WhenSettingsAreBound_ShouldUseThem()
    {
        using var provider = Build(("Idempotency:LockSeconds", "10"), ("Idempotency:WaitForInFlightMs", "2000"), ("Idempotency:RetentionHours", "48"));

        var options = provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
        Assert.Equal(10, options.LockSeconds);
        Assert.Equal(2000, options.WaitForInFlightMs);
        Assert.Equal(48, options.RetentionHours);
    }

    [Theory]
    [InlineData("Idempotency:LockSeconds", "0", "LockSeconds must be between 1 and 3600")]
    [InlineData("Idempotency:RetentionHours", "0", "RetentionHours must be between 1 and 720")]
    [InlineData("Idempotency:MaxStoredResponseBytes", "2000000", "must fit one 1 MiB entity")]
    [InlineData("Idempotency:WaitForInFlightMs", "40000", "must not exceed Idempotency:LockSeconds")]
    public void AddPaymentsCore_WhenASettingIsOutOfRange_ShouldFailWithAClearMessage(string key, string value, string expected)
    {
        using var provider = Build((key, value));

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value);

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }
}
