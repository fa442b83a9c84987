using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Payments.Core;
using Payments.Core.Storage;
using Payments.Functions.Middleware;

namespace Payments.Functions;

public static class FunctionsApplicationBuilderExtensions
{
    /// <summary>
    /// The one composition root: the core, the middleware in the order an invocation meets it (log scope for every
    /// trigger; then, for HTTP, problems, authentication, body validation, idempotency), storage created at start where
    /// allowed, and telemetry when it is configured.
    /// </summary>
    public static FunctionsApplicationBuilder AddPaymentsFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPaymentsCore(builder.Configuration);
        builder.Services.AddHostedService<StorageInitializationService>();

        builder.UseMiddleware<LogScopeMiddleware>();
        builder.UseWhen<ExceptionMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<AuthenticationMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<RequestBodyMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<IdempotencyMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            builder.Services
                .AddApplicationInsightsTelemetryWorkerService()
                .ConfigureFunctionsApplicationInsights();
        }

        return builder;
    }

    private sealed class StorageInitializationService(StorageInitializer initializer) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => initializer.EnsureCreatedAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
