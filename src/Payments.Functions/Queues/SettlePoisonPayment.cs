using Microsoft.Azure.Functions.Worker;
using Payments.Core.Payments;
using Payments.Core.Storage;

namespace Payments.Functions.Queues;

/// <summary>Settles a payment whose message exhausted its retries, without charging (see <see cref="PaymentPoisonSettler"/>).</summary>
public sealed class SettlePoisonPayment(PaymentPoisonSettler settler)
{
    [Function(nameof(SettlePoisonPayment))]
    public async Task Run(
        [QueueTrigger("%Storage:PaymentsQueue%-poison", Connection = StorageOptions.ConnectionName)] string message,
        FunctionContext context) =>
        await settler.SettleAsync(message, context.CancellationToken);
}
