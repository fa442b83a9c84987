using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Payments;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Payments;

public sealed class ListPayments(PaymentEndpoints payments)
{
    [Function(nameof(ListPayments))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "v1/payments")] HttpRequestData request, FunctionContext context)
    {
        var query = request.Query;
        var answer = await payments.ListAsync(context.GetCaller().Subject, query["status"], query["limit"], query["cursor"],
            context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
