using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http;

/// <summary>
/// Every request no other function takes: 405 problem+json with Allow on a known route, 404 problem+json elsewhere.
/// The Functions host tries routes in function-name order and answers a bare 404 for a wrong method, so this
/// function's name sorts after every other HTTP function (a test keeps it so) and the answer is the app's own,
/// identical under any host.
/// </summary>
public sealed class Unrouted
{
    [Function(nameof(Unrouted))]
    [AllowAnonymous]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", Route = "{*path}")] HttpRequestData request,
        string? path,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var at = request.Url.AbsolutePath;
        if (ApiRoutes.Match(path ?? string.Empty) is not { } template)
        {
            return await ApiResponse.Problem(ApiProblems.NoSuchRoute(at), at, context.TraceId()).ToHttpResponseAsync(request);
        }

        var allowed = ApiRoutes.Allowed[template];
        var response = await ApiResponse.Problem(ApiProblems.MethodNotAllowed(request.Method, allowed), at, context.TraceId()).ToHttpResponseAsync(request);
        response.Headers.Add("Allow", string.Join(", ", allowed));
        return response;
    }
}
