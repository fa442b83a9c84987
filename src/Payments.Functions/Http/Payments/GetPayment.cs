using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Payments;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Payments;

public sealed class GetPayment(PaymentEndpoints payments)
{
    [Function(nameof(GetPayment))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "v1/payments/{id}")] HttpRequestData request, string id, FunctionContext context)
    {
        var answer = await payments.GetAsync(context.GetCaller().Subject, id, request.Header("If-None-Match"), context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
