using System.Reflection;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Idempotency.Functions.Tests;

/// <summary>The one-call registration of the common case: the layer, the [Idempotent] functions and the middleware.</summary>
public sealed class IdempotencyFunctionsApplicationBuilderExtensionsTests
{
    private const string ConnectionSetting = "IdempotencyTestsStorage";

    private static FunctionsApplicationBuilder Builder(string? connectionString = "UseDevelopmentStorage=true")
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration[ConnectionSetting] = connectionString;
        return builder;
    }

    [Fact]
    public void AddIdempotentFunctions_WhenConfigured_ShouldRegisterTheLayerOverTheFirstRecordTable()
    {
        var builder = Builder().AddIdempotentFunctions(options =>
        {
            options.Subject = _ => "caller";
            options.FunctionsAssembly = typeof(SampleFunctions).Assembly;
            options.RecordTables[nameof(SampleFunctions.CreateThing)] = "things";
            options.RecordTables[nameof(SampleFunctions.CreateOther)] = "things";
        }, ConnectionSetting);

        using var provider = builder.Services.BuildServiceProvider();
        Assert.Equal("things", provider.GetRequiredService<IdempotencyStores>().DefaultTable);
        Assert.Equal("things", provider.GetRequiredService<IdempotencyStores>().Get().Table.Name);
        Assert.NotNull(provider.GetRequiredService<IdempotentRequestProcessor>());
        Assert.NotNull(provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value);
    }

    [Fact]
    public void AddIdempotentFunctions_WhenNoAssemblyIsNamed_ShouldCheckTheEntryAssemblysFunctionsAtStart()
    {
        var builder = Builder().AddIdempotentFunctions(options =>
        {
            options.Subject = _ => "caller";
            options.RecordTables[nameof(SampleFunctions.CreateThing)] = "things";
        }, ConnectionSetting);

        using var provider = builder.Services.BuildServiceProvider();
        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<IdempotentFunctionsOptions>>().Value);
        Assert.Contains($"not an [Idempotent] function of {Assembly.GetEntryAssembly()!.GetName().Name}", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public void AddIdempotentFunctions_WhenTheConnectionSettingIsEmpty_ShouldRefuseNamingTheSetting(string? connectionString)
    {
        var failure = Assert.Throws<InvalidOperationException>(() => Builder(connectionString).AddIdempotentFunctions(options => { }, ConnectionSetting));

        Assert.Contains($"'{ConnectionSetting}' holds no storage connection string", failure.Message, StringComparison.Ordinal);
    }
}
