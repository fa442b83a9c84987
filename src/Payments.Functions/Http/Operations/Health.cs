using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
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
            await ok.WriteAsJsonAsync(new { status = "healthy" }, cancellationToken);
            return ok;
        }

        // Only healthy or not: what failed, and how, is in the app's log (an anonymous caller learns nothing of the setup).
        return await ProblemResponses.WriteAsync(request, ApiProblems.StorageUnavailable(), cancellationToken);
    }
}
