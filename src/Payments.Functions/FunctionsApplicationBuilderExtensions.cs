using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core;

namespace Payments.Functions;

public static class FunctionsApplicationBuilderExtensions
{
    /// <summary>The one composition root: the core, the middleware, and telemetry when it is configured.</summary>
    public static FunctionsApplicationBuilder AddPaymentsFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPaymentsCore(builder.Configuration);

        if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            builder.Services
                .AddApplicationInsightsTelemetryWorkerService()
                .ConfigureFunctionsApplicationInsights();
        }

        return builder;
    }
}
