using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Customers;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Customers;

public sealed class ReplaceCustomer(CustomerEndpoints customers)
{
    [Function(nameof(ReplaceCustomer))]
    [RequestBody(typeof(CustomerRequest))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "v1/customers/{id}")] HttpRequestData request, string id, FunctionContext context)
    {
        var answer = await customers.ReplaceAsync(context.GetCaller().Subject, id, context.GetRequestBody<CustomerRequest>(),
            request.Header("If-Match"), context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
