using Idempotency.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Payments.Functions.Http;

public static class HttpServiceCollectionExtensions
{
    /// <summary>
    /// The HTTP mapping over the core: what each route answers (<see cref="Payments.PaymentEndpoints"/>, <see cref="Customers.CustomerEndpoints"/>),
    /// the body rules that need a service, and the one problem catalog, which the idempotency layer's problems join.
    /// </summary>
    public static IServiceCollection AddPaymentsHttp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IRequestBodyRule, Payments.PaymentSourceRule>();
        services.AddSingleton<Payments.PaymentEndpoints>();
        services.AddSingleton<Customers.CustomerEndpoints>();
        services.PostConfigure<IdempotencyOptions>(options => options.ProblemTypeBaseUri = ApiProblems.TypeBase);
        return services;
    }
}
