using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Payments.Core.Telemetry;

namespace Payments.Functions.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The Azure SDK's own spans (storage calls): its ActivitySources are all named "Azure.*".</summary>
    public const string AzureSdkSources = "Azure.*";

    /// <summary>Azure.Core reads this switch once, at its first diagnostic scope: it is set before any client exists.</summary>
    public const string AzureSdkActivitySourceSwitch = "Azure.Experimental.EnableActivitySource";

    /// <summary>
    /// OpenTelemetry for the worker when <see cref="TelemetrySettings"/> names somewhere to send it, nothing otherwise:
    /// the worker's invocation spans (Microsoft.Azure.Functions.Worker.OpenTelemetry, which also tells the host to stop
    /// emitting telemetry on the worker's behalf), the app's spans and metrics (<see cref="PaymentsTelemetry"/>) and the
    /// Azure SDK's storage spans; exported over OTLP, to Azure Monitor, or both.
    /// </summary>
    public static IServiceCollection AddPaymentsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = TelemetrySettings.Read(configuration);
        services.AddSingleton(settings);
        if (!settings.ExportsAnything)
        {
            return services;
        }

        AppContext.SetSwitch(AzureSdkActivitySourceSwitch, true);
        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(PaymentsTelemetry.Name, AzureSdkSources))
            .WithMetrics(metrics => metrics.AddMeter(PaymentsTelemetry.Name, IdempotencyMetrics.MeterName));

        if (settings.OtlpEndpoint is not null)
        {
            // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT and _PROTOCOL itself (and appends /v1/traces, /v1/metrics
            // for http/protobuf, as the specification asks of an endpoint given by that variable).
            telemetry
                .WithTracing(tracing => tracing.AddOtlpExporter())
                .WithMetrics(metrics => metrics.AddOtlpExporter());
        }

        if (settings.AzureMonitorConnectionString is { } connectionString)
        {
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                if (settings.UseManagedIdentity)
                {
                    // Local authentication is off on the component (infra/modules/monitoring.bicep): the identity signs in.
                    options.Credential = ManagedIdentity(settings.ManagedIdentityClientId);
                }
            });
        }

        return services;
    }

    private static ManagedIdentityCredential ManagedIdentity(string? clientId) => clientId is null
        ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
        : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
}
