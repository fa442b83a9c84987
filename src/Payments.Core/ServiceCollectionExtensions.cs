using Azure.Core.Pipeline;
using Idempotency.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Payments.Core.Auth;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers everything the payments logic needs. Options are validated when the host starts, so a wrong
    /// configuration stops the app with a message instead of failing on the first request.
    /// </summary>
    public static IServiceCollection AddPaymentsCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(new StorageConnectionValidator(configuration));

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var connection = ResolveConnection(configuration, StorageOptions.ConnectionName);
            // Policies registered in DI join every storage client's pipeline: none in the app, the generic seam through
            // which in-process tests count and fail requests (tests/Payments.Testing).
            return new StorageClientFactory(connection, provider.GetServices<HttpPipelinePolicy>());
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new StorageHealthCheck(
            provider.GetRequiredService<StorageClientFactory>(),
            provider.GetRequiredService<IOptions<StorageOptions>>().Value,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<StorageHealthCheck>>()));
        services.AddIdempotency(configuration,
            (provider, table) => provider.GetRequiredService<StorageClientFactory>().GetTableClient(table),
            provider => provider.GetRequiredService<IOptions<StorageOptions>>().Value.IdempotencyTable);
        services.AddPayments(configuration);
        services.AddJwtAuthentication(configuration);
        return services;
    }

    public static StorageConnection ResolveConnection(IConfiguration configuration, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(connectionName);
        var values = section.GetChildren().ToDictionary(c => c.Key, c => c.Value, StringComparer.OrdinalIgnoreCase);
        return StorageConnection.Resolve(values, section.Value, connectionName);
    }

    private sealed class StorageConnectionValidator(IConfiguration configuration) : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options)
        {
            try
            {
                _ = ResolveConnection(configuration, StorageOptions.ConnectionName);
                return ValidateOptionsResult.Success;
            }
            catch (StorageConfigurationException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
