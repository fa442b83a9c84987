using System.Net;
using Idempotency.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http;

/// <summary>Copies an answer the core decided onto the wire, unchanged.</summary>
internal static class HttpResponses
{
    public static async Task<HttpResponseData> CreateAsync(
        HttpRequestData request, int statusCode, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        var response = request.CreateResponse((HttpStatusCode)statusCode);
        foreach (var (name, value) in headers)
        {
            response.Headers.Add(name, value);
        }

        if (!body.IsEmpty)
        {
            await response.Body.WriteAsync(body, cancellationToken);
        }

        return response;
    }

    /// <summary>
    /// The function's answer. Under an idempotency lease the answer's retention (final, transient) goes to the lease,
    /// which decides what a retry will see.
    /// </summary>
    public static Task<HttpResponseData> ToHttpResponseAsync(this ApiResponse answer, HttpRequestData request)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(request);
        if (request.FunctionContext.TryGetIdempotencyLease() is { } lease)
        {
            lease.Retention = answer.Retention;
        }

        return CreateAsync(request, answer.StatusCode, answer.Headers, answer.Body, request.FunctionContext.CancellationToken);
    }

    /// <summary>Makes this response the invocation's result, for middleware that answers instead of the function.</summary>
    public static void SetAsInvocationResult(this HttpResponseData response, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.GetInvocationResult().Value = response;
    }

    public static string? TraceId(this FunctionContext context) =>
        context.TraceContext?.TraceParent is { Length: > 0 } traceParent ? traceParent : context.InvocationId;

    public static string? Header(this HttpRequestData request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
}
