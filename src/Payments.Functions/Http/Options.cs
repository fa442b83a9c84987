using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http;

/// <summary>OPTIONS on every route: 204 with the methods it allows. The catch-all route only ever sees OPTIONS.</summary>
public sealed class Options
{
    [Function(nameof(Options))]
    [AllowAnonymous]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "options", Route = "{*path}")] HttpRequestData request, string? path, FunctionContext context)
    {
        if (ApiRoutes.Match(path ?? string.Empty) is not { } template)
        {
            return await ApiResponse.Problem(ApiProblems.NotFound("route"), request.Url.AbsolutePath, context.TraceId()).ToHttpResponseAsync(request);
        }

        var response = request.CreateResponse(HttpStatusCode.NoContent);
        response.Headers.Add("Allow", string.Join(", ", ApiRoutes.Allowed[template]));
        return response;
    }
}
