using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Payments.Core;
using Payments.Functions.Middleware;

namespace Payments.Functions;

public static class FunctionsApplicationBuilderExtensions
{
    /// <summary>The one composition root: the core, the middleware, and telemetry when it is configured.</summary>
    public static FunctionsApplicationBuilder AddPaymentsFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPaymentsCore(builder.Configuration);
        builder.UseWhen<AuthenticationMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            builder.Services
                .AddApplicationInsightsTelemetryWorkerService()
                .ConfigureFunctionsApplicationInsights();
        }

        return builder;
    }
}
