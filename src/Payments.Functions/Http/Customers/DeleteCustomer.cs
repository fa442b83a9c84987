using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Customers;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Customers;

public sealed class DeleteCustomer(CustomerEndpoints customers)
{
    [Function(nameof(DeleteCustomer))]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/customers/{id}")] HttpRequestData request, string id, FunctionContext context)
    {
        var answer = await customers.DeleteAsync(context.GetCaller().Subject, id, request.Header("If-Match"), context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
