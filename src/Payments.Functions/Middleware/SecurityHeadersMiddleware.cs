using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Payments.Functions.Middleware;

/// <summary>
/// The outermost HTTP middleware: whatever answered (the function, a refusing middleware, the exception handler, a
/// replayed idempotent outcome), every answer gets <c>X-Content-Type-Options: nosniff</c> so no browser reinterprets
/// a JSON body as HTML; errors and every authenticated answer (caller data) get <c>Cache-Control: no-store</c>.
/// </summary>
public sealed class SecurityHeadersMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next(context);
        if (context.GetHttpResponseData() is { } response)
        {
            Apply(response, AuthenticationMiddleware.IsMarkedAnonymous(context.FunctionDefinition.EntryPoint));
        }
    }

    internal static void Apply(HttpResponseData response, bool anonymous)
    {
        Set(response.Headers, "X-Content-Type-Options", "nosniff");
        if (!anonymous || (int)response.StatusCode >= (int)HttpStatusCode.BadRequest)
        {
            Set(response.Headers, "Cache-Control", "no-store");
        }
    }

    private static void Set(HttpHeadersCollection headers, string name, string value)
    {
        headers.Remove(name);
        headers.Add(name, value);
    }
}
