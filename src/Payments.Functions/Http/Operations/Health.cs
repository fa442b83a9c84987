using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Problems;
using Payments.Core.Storage;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Operations;

public sealed class Health(StorageHealthCheck healthCheck)
{
    [Function(nameof(Health))]
    [AllowAnonymous]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "health")] HttpRequestData request,
        CancellationToken cancellationToken)
    {
        var health = await healthCheck.CheckAsync(cancellationToken);
        if (health.IsHealthy)
        {
            var ok = request.CreateResponse(HttpStatusCode.OK);
            ok.Headers.Add("Cache-Control", "no-store");
            await ok.WriteAsJsonAsync(new { status = "healthy", tables = "reachable", queues = "reachable" }, cancellationToken);
            return ok;
        }

        return await ProblemResponses.WriteAsync(request, new ProblemDetails(
            Type: "https://payments.example/problems/storage-unavailable",
            Title: "Storage is unreachable",
            Status: (int)HttpStatusCode.ServiceUnavailable,
            Detail: health.Problem + " Check that the storage account (or Azurite, locally) is running and the connection setting is right.",
            RetryAfterSeconds: 5), cancellationToken);
    }
}
