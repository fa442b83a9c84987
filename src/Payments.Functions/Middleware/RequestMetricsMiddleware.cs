using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Payments.Core.Telemetry;
using Payments.Functions.Http;

namespace Payments.Functions.Middleware;

/// <summary>
/// The outermost HTTP middleware: counts every answer by route template (never the concrete path, which carries ids),
/// method and status code, whichever layer answered.
/// </summary>
public sealed class RequestMetricsMiddleware : IFunctionsWorkerMiddleware
{
    /// <summary>The route value for a path that matches no route of <see cref="ApiRoutes"/> (the catch-all's 404s).</summary>
    public const string UnmatchedRoute = "unmatched";

    /// <summary>The answer's status code, or null when nothing answered; replaceable in tests, which have no invocation result.</summary>
    internal Func<FunctionContext, int?> StatusOf { get; init; } = context => (int?)context.GetHttpResponseData()?.StatusCode;

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = await context.GetHttpRequestDataAsync();
        var status = 500;
        try
        {
            await next(context);
            status = StatusOf(context) ?? 500;
        }
        finally
        {
            PaymentsTelemetry.HttpRequests.Add(
                1,
                new(PaymentsTelemetry.Attributes.HttpRoute, RouteOf(request?.Url.AbsolutePath)),
                new(PaymentsTelemetry.Attributes.HttpMethod, request?.Method.ToUpperInvariant() ?? "UNKNOWN"),
                new(PaymentsTelemetry.Attributes.HttpStatusCode, status));
        }
    }

    /// <summary>The route template of a request path under the host's "api/" prefix, or <see cref="UnmatchedRoute"/>.</summary>
    public static string RouteOf(string? path)
    {
        const string prefix = "/api/";
        return path is not null && path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            ? ApiRoutes.Match(path[prefix.Length..]) ?? UnmatchedRoute
            : UnmatchedRoute;
    }
}
