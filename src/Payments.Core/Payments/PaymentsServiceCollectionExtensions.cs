using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Payments.Core.Customers;
using Payments.Core.Payments.Gateway;
using Payments.Core.Storage;

namespace Payments.Core.Payments;

public static class PaymentsServiceCollectionExtensions
{
    /// <summary>Payments, customers and the simulated gateway, on the tables and queue named in <see cref="StorageOptions"/>.</summary>
    public static IServiceCollection AddPayments(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PaymentsOptions>()
            .Bind(configuration.GetSection(PaymentsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton(provider => new PaymentRepository(
            Clients(provider).GetTableClient(Names(provider).PaymentsTable), provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(provider => new PaymentMessageSender(
            Clients(provider).GetQueueClient(Names(provider).PaymentsQueue),
            provider.GetRequiredService<IOptions<PaymentsOptions>>().Value.MessageTraceContext));
        services.AddSingleton(provider => new PaymentDeadLetters(
            Clients(provider).GetTableClient(Names(provider).DeadLettersTable), Clients(provider).GetQueueClient(Names(provider).PaymentsQueue),
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<PaymentDeadLetters>>()));
        services.AddSingleton(provider => new CustomerService(
            Clients(provider).GetTableClient(Names(provider).CustomersTable), provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<CustomerService>>()));
        services.AddSingleton<IPaymentGateway>(provider => new SimulatedPaymentGateway(
            Clients(provider).GetTableClient(Names(provider).LedgerTable), provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromMilliseconds(provider.GetRequiredService<IOptions<PaymentsOptions>>().Value.SlowChargeMilliseconds)));
        services.AddSingleton<PaymentService>();
        services.AddSingleton<PaymentListing>();
        services.AddSingleton<PaymentProcessor>();
        services.AddSingleton<PaymentPoisonSettler>();
        services.AddSingleton<PendingPaymentSweeper>();
        services.AddSingleton<StorageInitializer>();
        return services;
    }

    private static StorageClientFactory Clients(IServiceProvider provider) => provider.GetRequiredService<StorageClientFactory>();

    private static StorageOptions Names(IServiceProvider provider) => provider.GetRequiredService<IOptions<StorageOptions>>().Value;
}
