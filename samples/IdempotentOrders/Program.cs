using System.Net;
using Azure.Data.Tables;
using Idempotency.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
var storage = new TableServiceClient(builder.Configuration["AzureWebJobsStorage"]);
await storage.CreateTableIfNotExistsAsync("orders");
builder.Services.AddSingleton(storage.GetTableClient("orders"));
// One call: its records live beside the orders; no authentication here, so every caller shares one key scope.
builder.AddIdempotentFunctions(options => { options.RecordTables[nameof(Orders.CreateOrder)] = "orders"; options.Subject = _ => "sample"; });
await builder.Build().RunAsync();

public sealed class Orders(TableClient orders)
{
    [Function(nameof(CreateOrder)), Idempotent]
    public async Task<HttpResponseData> CreateOrder([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "orders")] HttpRequestData request, FunctionContext context)
    {
        await orders.AddEntityAsync(new TableEntity("orders", context.InvocationId) { ["Order"] = await request.ReadAsStringAsync() }, context.CancellationToken);
        var response = request.CreateResponse(HttpStatusCode.Created);
        await response.WriteStringAsync(context.InvocationId, context.CancellationToken);
        return response;
    }
}
