using Idempotency.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Customers;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Customers;

public sealed class CreateCustomer(CustomerEndpoints customers)
{
    [Function(nameof(CreateCustomer))]
    [RequestBody(typeof(CustomerRequest))]
    [Idempotent]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/customers")] HttpRequestData request, FunctionContext context)
    {
        var answer = await customers.CreateAsync(context.GetCaller().Subject, context.GetIdempotencyLease(),
            context.GetRequestBody<CustomerRequest>(), context.TraceId(), context.CancellationToken);
        return await answer.ToHttpResponseAsync(request);
    }
}
