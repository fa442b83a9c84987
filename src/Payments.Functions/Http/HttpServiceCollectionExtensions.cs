using Idempotency.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Payments.Functions.Http.Customers;
using Payments.Functions.Http.Payments;

namespace Payments.Functions.Http;

public static class HttpServiceCollectionExtensions
{
    /// <summary>
    /// The HTTP mapping over the core: what each route answers (<see cref="PaymentEndpoints"/>, <see cref="CustomerEndpoints"/>),
    /// the body rules that need a service, and the one problem catalog, which the idempotency layer's problems join.
    /// </summary>
    public static IServiceCollection AddPaymentsHttp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IRequestBodyRule, PaymentSourceRule>();
        services.AddSingleton<PaymentEndpoints>();
        services.AddSingleton<CustomerEndpoints>();
        services.PostConfigure<IdempotencyOptions>(options => options.ProblemTypeBaseUri = ApiProblems.TypeBase);
        return services;
    }
}
