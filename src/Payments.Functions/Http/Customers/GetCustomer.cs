using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Customers;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Customers;

public sealed class GetCustomer(CustomerEndpoints customers)
{
    [Function(nameof(GetCustomer))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "v1/customers/{id}")] HttpRequestData request, string id, FunctionContext context)
    {
        var answer = await customers.GetAsync(context.GetCaller().Subject, id, request.Header("If-None-Match"), context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
