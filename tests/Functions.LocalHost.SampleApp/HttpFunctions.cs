using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace Functions.LocalHost.SampleApp;

/// <summary>Echoes what the worker received: method, URL, a header, the query, the trace context and the raw body bytes.</summary>
public sealed class Echo
{
    [Function(nameof(Echo))]
    public static async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "echo")] HttpRequestData request,
        FunctionContext context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        var response = request.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("X-Echo-Method", request.Method);
        response.Headers.Add("X-Echo-TraceParent", context.TraceContext.TraceParent);
        response.Headers.Add("X-Echo-TraceState", context.TraceContext.TraceState is { Length: > 0 } state ? state : "(none)");
        response.Headers.Add("X-Echo-Url", request.Url.ToString());
        response.Headers.Add("X-Echo-Custom", request.Headers.TryGetValues("X-Custom", out var custom) ? string.Join("|", custom) : "(none)");
        response.Headers.Add("X-Echo-Query", string.Join("&", request.Query.AllKeys.Order(StringComparer.Ordinal).Select(key => $"{key}={request.Query[key]}")));
        response.Headers.Add("Content-Type", request.Headers.TryGetValues("Content-Type", out var type) ? type.First() : "application/octet-stream");
        await response.Body.WriteAsync(body.ToArray(), cancellationToken);
        return response;
    }
}

public sealed class ItemById
{
    [Function(nameof(ItemById))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id:guid}")] HttpRequestData request,
        string id) => Text(request, $"guid:{id}");

    internal static HttpResponseData Text(HttpRequestData request, string text)
    {
        var response = request.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "text/plain; charset=utf-8");
        response.WriteString(text);
        return response;
    }
}

public sealed class ItemByNumber
{
    [Function(nameof(ItemByNumber))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{n:int}")] HttpRequestData request,
        int n) => ItemById.Text(request, $"int:{n * 2}");
}

public sealed class ByName
{
    [Function(nameof(ByName))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "names/{x:alpha}")] HttpRequestData request,
        string x) => ItemById.Text(request, $"alpha:{x}");
}

public sealed class OptionalId
{
    [Function(nameof(OptionalId))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "delete", Route = "optional/{id?}")] HttpRequestData request,
        string? id) => ItemById.Text(request, $"optional:{id ?? "(none)"}");
}

/// <summary>A header with two values and two cookies: what a response with multi-valued headers looks like.</summary>
public sealed class MultiHeaders
{
    [Function(nameof(MultiHeaders))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "multi-headers")] HttpRequestData request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request.CreateResponse(HttpStatusCode.Created);
        response.Headers.Add("X-Multi", ["first", "second"]);
        response.Cookies.Append("session", "abc");
        response.Cookies.Append(new HttpCookie("theme", "dark") { Path = "/", HttpOnly = true });
        return response;
    }
}

/// <summary>Answers after the given delay: a request in flight when the worker is killed.</summary>
public sealed class Slow
{
    [Function(nameof(Slow))]
    public static async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "slow")] HttpRequestData request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var milliseconds = int.TryParse(request.Query["ms"], out var value) ? value : 30_000;
        await Task.Delay(milliseconds, cancellationToken);
        return ItemById.Text(request, "slow");
    }
}

public sealed class Throws
{
    [Function(nameof(Throws))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "throws")] HttpRequestData request) =>
        throw new InvalidOperationException("This function always fails.");
}

/// <summary>Returns no HTTP result at all: the host answers on its own.</summary>
public sealed class NoResult
{
    [Function(nameof(NoResult))]
    public static HttpResponseData? Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "no-result")] HttpRequestData request) => null;
}

/// <summary>Catches every path under items/ that the constrained item routes leave; it sorts after them by name.</summary>
public sealed class ZzItemsFallback
{
    [Function(nameof(ZzItemsFallback))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "items/{*rest}")] HttpRequestData request,
        string rest) => ItemById.Text(request, $"fallback:{rest}");
}

/// <summary>
/// A literal route that endpoint routing would prefer to the catch-all; the real host tries routes in function-name
/// order, so <see cref="ZzItemsFallback"/> answers first and this function is never reached for GET.
/// </summary>
public sealed class ZzzItemSpecial
{
    [Function(nameof(ZzzItemSpecial))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/special")] HttpRequestData request) =>
        ItemById.Text(request, "special");
}

/// <summary>Same path as <see cref="ItemByNumber"/>, sorted before it by name but only for PUT: order decides per method.</summary>
public sealed class AnItemPut
{
    [Function(nameof(AnItemPut))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "items/{n:int}")] HttpRequestData request,
        int n) => ItemById.Text(request, $"put:{n}");
}

/// <summary>The trivial function the benchmark calls.</summary>
public sealed class Ping
{
    [Function(nameof(Ping))]
    public static HttpResponseData Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ping")] HttpRequestData request) =>
        ItemById.Text(request, "pong");
}
