using System.Diagnostics.Metrics;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Idempotency.Tables;

/// <summary>Registration of the idempotency layer.</summary>
public static class IdempotencyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the idempotency layer: options (section "Idempotency", validated at start), the stores, the request
    /// processor and the reaper. <paramref name="tableClient"/> gives the client of a table by name (the app's storage
    /// clients, with its connection and pipeline); <paramref name="defaultTable"/> names the table of records whose
    /// function names none.
    /// </summary>
    public static IServiceCollection AddIdempotency(
        this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, string, TableClient> tableClient,
        Func<IServiceProvider, string> defaultTable)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(tableClient);
        ArgumentNullException.ThrowIfNull(defaultTable);

        services.AddOptions<IdempotencyOptions>()
            .Bind(configuration.GetSection(IdempotencyOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new IdempotencyMetrics(provider.GetService<IMeterFactory>()));
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
            var time = provider.GetRequiredService<TimeProvider>();
            var logger = provider.GetRequiredService<ILogger<IdempotencyStore>>();
            var metrics = provider.GetRequiredService<IdempotencyMetrics>();
            return new IdempotencyStores(defaultTable(provider),
                table => new IdempotencyStore(tableClient(provider, table), options, time, logger, metrics));
        });
        services.AddSingleton<IdempotentRequestProcessor>();
        services.AddSingleton<IdempotencyReaper>();
        return services;
    }
}
