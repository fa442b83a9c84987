using Azure.Core.Pipeline;
using Idempotency.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Payments.Core.Api;
using Payments.Core.Auth;
using Payments.Core.Payments;
using Payments.Core.Storage;
using Payments.Core.Storage.Diagnostics;

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

        AddStorageFaults(services, configuration);
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var connection = ResolveConnection(configuration, StorageOptions.ConnectionName);
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
        // The idempotency layer's problems belong to the app's one problem catalog.
        services.Configure<IdempotencyOptions>(options => options.ProblemTypeBaseUri = ApiProblems.TypeBase);
        services.AddPayments(configuration);
        services.AddJwtAuthentication(configuration);
        return services;
    }

    /// <summary>The test-only setting that makes a fraction of the app's storage requests fail (scripts/chaos.sh).</summary>
    public const string StorageFaultRateSetting = "Chaos:StorageFaultRate";

    /// <summary>
    /// Test-only, off unless set: fails a random fraction (0..1) of the app's storage requests, half before sending
    /// (503, the request never arrives) and half after (the write happened but the answer is lost), so the chaos run
    /// proves retries and idempotency against the faults a real network produces. Never set in a deployment: it is
    /// kept out of the sample settings and the template on purpose.
    /// </summary>
    private static void AddStorageFaults(IServiceCollection services, IConfiguration configuration)
    {
        var text = configuration[StorageFaultRateSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }

        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rate) || rate is < 0 or > 1)
        {
            throw new InvalidOperationException($"{StorageFaultRateSetting} is a test-only fraction from 0 to 1 (e.g. 0.05); got '{text}'. Remove it outside chaos runs.");
        }

        if (rate == 0)
        {
            return;
        }

        var injector = new StorageFaultInjector();
        injector.Add(_ => Chance(rate / 2), StorageFaultKind.ServiceUnavailable, StorageFaultTiming.BeforeSending);
        injector.Add(_ => Chance(rate / 2), StorageFaultKind.NetworkError, StorageFaultTiming.AfterSending);
        services.AddSingleton<HttpPipelinePolicy>(injector);
    }

    // Fault choice needs no unpredictability, only a spread.
#pragma warning disable CA5394
    private static bool Chance(double probability) => Random.Shared.NextDouble() < probability;
#pragma warning restore CA5394

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
