using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Payments.Core.Storage;

namespace Payments.Core.Idempotency;

public static class IdempotencyServiceCollectionExtensions
{
    /// <summary>
    /// Registers the idempotency layer: options (section "Idempotency", validated at start), the stores, the request
    /// processor and the reaper. Needs the storage registrations of <c>AddPaymentsCore</c>.
    /// </summary>
    public static IServiceCollection AddIdempotency(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<IdempotencyOptions>()
            .Bind(configuration.GetSection(IdempotencyOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider =>
        {
            var clients = provider.GetRequiredService<StorageClientFactory>();
            var options = provider.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
            var time = provider.GetRequiredService<TimeProvider>();
            var logger = provider.GetRequiredService<ILogger<IdempotencyStore>>();
            var storage = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new IdempotencyStores(storage.IdempotencyTable,
                table => new IdempotencyStore(clients.GetTableClient(table), options, time, logger));
        });
        services.AddSingleton<IdempotentRequestProcessor>();
        services.AddSingleton<IdempotencyReaper>();
        return services;
    }
}
