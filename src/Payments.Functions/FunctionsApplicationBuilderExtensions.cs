using Idempotency.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Payments.Core;
using Payments.Core.Storage;
using Payments.Functions.Http;
using Payments.Functions.Http.Customers;
using Payments.Functions.Http.Payments;
using Payments.Functions.Middleware;
using Payments.Functions.Telemetry;

namespace Payments.Functions;

public static class FunctionsApplicationBuilderExtensions
{
    /// <summary>
    /// The one composition root: the core, the middleware in the order an invocation meets it (log scope for every
    /// trigger; then, for HTTP, request metrics, security headers, problems, authentication, body validation, idempotency), storage created at start where
    /// allowed, and telemetry when it is configured (OpenTelemetry, by the standard variables: <see cref="TelemetrySettings"/>).
    /// </summary>
    public static FunctionsApplicationBuilder AddPaymentsFunctions(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPaymentsCore(builder.Configuration);
        builder.Services.AddPaymentsHttp(builder.Configuration);
        builder.Services.AddHostedService<StorageInitializationService>();
        // Which table keeps each idempotent function's records: the one its resource lives in, since the lease's
        // transaction writes the resource and the record together, and only to the record's table.
        builder.Services.AddIdempotentFunctions(options =>
            {
                options.Subject = context => context.TryGetCaller()?.Subject;
                options.FunctionsAssembly = typeof(FunctionsApplicationBuilderExtensions).Assembly;
            })
            .Configure<IOptions<StorageOptions>>((options, storage) =>
            {
                options.RecordTables[nameof(CreatePayment)] = storage.Value.PaymentsTable;
                options.RecordTables[nameof(CreateCustomer)] = storage.Value.CustomersTable;
            });

        builder.UseMiddleware<LogScopeMiddleware>();
        builder.UseWhen<RequestMetricsMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<SecurityHeadersMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<ExceptionMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<AuthenticationMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseWhen<RequestBodyMiddleware>(context => AuthenticationMiddleware.IsHttpTriggered(context.FunctionDefinition));
        builder.UseIdempotency();

        builder.Services.AddPaymentsTelemetry(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Creates storage in <see cref="StartingAsync"/>, which the host awaits before it starts any hosted service: the
    /// worker's own service (registered earlier) connects to the Functions host in its StartAsync, and from then on
    /// invocations may arrive, so creating storage in StartAsync would race them (a first request or timer run hit
    /// "table not found").
    /// </summary>
    private sealed class StorageInitializationService(StorageInitializer initializer) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => initializer.EnsureCreatedAsync(cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
