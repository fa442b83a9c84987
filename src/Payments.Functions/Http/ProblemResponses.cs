using System.Globalization;
using System.Net;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Core.Problems;

namespace Payments.Functions.Http;

internal static class ProblemResponses
{
    public static async Task<HttpResponseData> WriteAsync(HttpRequestData request, ProblemDetails problem, CancellationToken cancellationToken)
    {
        var response = request.CreateResponse((HttpStatusCode)problem.Status);
        response.Headers.Add("Content-Type", ProblemDetails.ContentType);
        response.Headers.Add("Cache-Control", "no-store");
        if (problem.RetryAfterSeconds is int retryAfter)
        {
            response.Headers.Add("Retry-After", retryAfter.ToString(CultureInfo.InvariantCulture));
        }

        var traceId = request.FunctionContext.TraceContext?.TraceParent;
        await response.Body.WriteAsync(problem.ToJson(request.Url.AbsolutePath, traceId ?? request.FunctionContext.InvocationId), cancellationToken);
        return response;
    }
}
