using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker.Http;

namespace Payments.Functions.Http;

internal static class ProblemResponses
{
    public static Task<HttpResponseData> WriteAsync(HttpRequestData request, ProblemDetails problem, CancellationToken cancellationToken)
    {
        var answer = ApiResponse.Problem(problem, request.Url.AbsolutePath, request.FunctionContext.TraceId());
        return HttpResponses.CreateAsync(request, answer.StatusCode, answer.Headers, answer.Body, cancellationToken);
    }
}
