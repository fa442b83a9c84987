using System.Reflection;
using Azure.Data.Tables;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Idempotency.Functions;

/// <summary>The common case in one call: the idempotency layer, its [Idempotent] functions and the middleware.</summary>
public static class IdempotencyFunctionsApplicationBuilderExtensions
{
    /// <summary>The app setting read for the storage connection string unless another is named: the host's own storage.</summary>
    public const string DefaultConnectionSetting = "AzureWebJobsStorage";

    /// <summary>
    /// Registers, in one call, what <c>AddIdempotency</c>, <c>AddIdempotentFunctions</c> and <c>UseIdempotency</c> register:
    /// the idempotency layer (the <c>Idempotency</c> configuration section, validated at start) over the tables of the
    /// storage account whose connection string is in the <paramref name="connectionSetting"/> app setting; the
    /// [Idempotent] functions of the app's entry assembly with the caller and record tables set by
    /// <paramref name="configure"/> (validated at start); and the middleware, at this point of the pipeline, so call it
    /// after the middleware that authenticates the caller. For other clients (an identity-based connection, extra
    /// pipeline policies), another default table or another functions assembly, make the three calls yourself.
    /// </summary>
    public static FunctionsApplicationBuilder AddIdempotentFunctions(
        this FunctionsApplicationBuilder builder, Action<IdempotentFunctionsOptions> configure, string connectionSetting = DefaultConnectionSetting)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentException.ThrowIfNullOrEmpty(connectionSetting);
        var connectionString = builder.Configuration[connectionSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"The app setting '{connectionSetting}' holds no storage connection string: set it to the connection string of the " +
                "storage account that keeps the idempotency records (UseDevelopmentStorage=true for Azurite), or name another setting.");
        }

        var tables = new TableServiceClient(connectionString);
        builder.Services.AddIdempotency(builder.Configuration, (_, table) => tables.GetTableClient(table), DefaultTable);
        builder.Services.AddIdempotentFunctions(options =>
        {
            // The worker runs the app's own assembly as its entry point: its [Function] methods are the app's functions.
            options.FunctionsAssembly = Assembly.GetEntryAssembly();
            configure(options);
        });
        builder.UseIdempotency();
        return builder;
    }

    /// <summary>Records of a request that names no table go to the first record table (every [Idempotent] function names one).</summary>
    private static string DefaultTable(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<IdempotentFunctionsOptions>>().Value.Tables() is [var first, ..] ? first : "idempotency";
}
