using Idempotency.Functions;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Payments;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Payments;

public sealed class CreatePayment(PaymentEndpoints payments)
{
    [Function(nameof(CreatePayment))]
    [RequestBody(typeof(CreatePaymentRequest))]
    [Idempotent(IdempotencyMode.Claimless)]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/payments")] HttpRequestData request, FunctionContext context)
    {
        var answer = await payments.CreateAsync(context.GetCaller().Subject, context.GetIdempotencyLease(),
            context.GetRequestBody<CreatePaymentRequest>(), context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
