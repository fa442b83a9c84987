using Functions.LocalHost.Configuration;
using System.Globalization;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using HeaderSameSite = Microsoft.Net.Http.Headers.SameSiteMode;

namespace Functions.LocalHost.Http;

/// <summary>
/// HTTP-triggered functions routed as the real host routes them (WebJobsRouter: one ASP.NET Core <see cref="Route"/>
/// per function with an HTTP-method constraint, tried in function-name order, the first match wins): a wrong method
/// falls through to 404 (never 405), HEAD is not implied by GET, routes starting with <c>admin</c> or
/// <c>runtime</c> and two functions claiming the same route and method are refused at start (ScriptHost.ValidateFunction).
/// </summary>
internal sealed partial class HttpTriggerEndpoints(
    WorkerSupervisor supervisor, long maxRequestBodyBytes, IReadOnlyDictionary<string, string> customHeaders, ILogger logger)
{
    /// <summary>The real host's FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (bytes) when set, else the given default.</summary>
    public static long BodyLimit(AppSettings settings, long defaultLimit)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var value = settings.Get("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT");
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultLimit;
        }

        return long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit > 0
            ? limit
            : throw new InvalidOperationException(
                $"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is '{value}'; set it to a number of bytes greater than 0, or remove it.");
    }

    private static readonly string[] ReservedPrefixes = ["admin", "runtime"];

    public static string Template(string routePrefix, FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var route = Route(function);
        return string.IsNullOrEmpty(routePrefix) ? route : $"{routePrefix}/{route}";
    }

    /// <summary>The function's route without the prefix: its custom route, or its name.</summary>
    public static string Route(FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.Trigger.GetString("route") is { Length: > 0 } custom ? custom.Trim('/') : function.Name;
    }

    /// <summary>The methods the function declares, upper-cased; empty means every method.</summary>
    public static IReadOnlyList<string> Methods(FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.Trigger.GetStrings("methods").Select(method => method.ToUpperInvariant()).Distinct().ToList();
    }

    /// <summary>
    /// Refuses what the real host refuses at start: a route under a built-in prefix, or a route and method another
    /// function already claims; and, stricter than Azure, an authLevel other than anonymous (keys are not checked here). <paramref name="functions"/> must be in the order routes are tried.
    /// </summary>
    public static void Validate(IEnumerable<FunctionDescriptor> functions)
    {
        var claimed = new List<(FunctionDescriptor Function, string Route, IReadOnlyList<string> Methods)>();
        foreach (var function in functions.Where(function => function.Kind == TriggerKind.Http))
        {
            var route = Route(function);
            if (ReservedPrefixes.Any(prefix => route.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                throw new InvalidOperationException(
                    $"Function '{function.Name}': the route '{route}' conflicts with the host's built-in routes (a route may not " +
                    "start with 'admin' or 'runtime'). Choose another route.");
            }

            if (function.Trigger.GetString("authLevel") is { } authLevel && !string.Equals(authLevel, "Anonymous", StringComparison.OrdinalIgnoreCase))
            {
                // Azure checks function keys for these levels and this host cannot: serving the function here would be
                // kinder than Azure (anyone gets in), so it is refused instead.
                throw new InvalidOperationException(
                    $"Function '{function.Name}': authLevel '{authLevel}' asks the host to check function keys, which this host " +
                    "does not do. Use AuthorizationLevel.Anonymous with the app's own authentication, or run it under Core Tools.");
            }

            var methods = Methods(function);
            foreach (var other in claimed)
            {
                var overlaps = methods.Count == 0 || other.Methods.Count == 0 || methods.Intersect(other.Methods).Any();
                if (overlaps && string.Equals(other.Route, route, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"Function '{function.Name}': the route '{route}' conflicts with the route defined by function " +
                        $"'{other.Function.Name}' for the same method. Give one of them another route or method.");
                }
            }

            claimed.Add((function, route, methods));
        }
    }

    /// <summary>Routes requests to the functions, in the order given (the host passes them sorted by name).</summary>
    public void Map(WebApplication app, string routePrefix, IEnumerable<FunctionDescriptor> functions)
    {
        ArgumentNullException.ThrowIfNull(app);
        var resolver = app.Services.GetRequiredService<IInlineConstraintResolver>();
        var routes = new List<(FunctionDescriptor Function, Route Route)>();
        foreach (var function in functions.Where(function => function.Kind == TriggerKind.Http))
        {
            var template = Template(routePrefix, function);
            var methods = Methods(function);
            var constraints = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            if (methods.Count > 0)
            {
                constraints["httpMethod"] = new HttpMethodRouteConstraint([.. methods]);
            }

            routes.Add((function, new Route(MatchTarget.Instance, function.Name, template, defaults: null, constraints, dataTokens: null, resolver)));
            LogMapped(logger, function.Name, methods.Count == 0 ? ["*"] : methods, template);
        }

        app.Run(async context =>
        {
            var routeContext = new RouteContext(context);
            foreach (var (function, route) in routes)
            {
                await route.RouteAsync(routeContext);
                if (routeContext.Handler is not null)
                {
                    context.Request.RouteValues = new RouteValueDictionary(routeContext.RouteData.Values);
                    await HandleAsync(context, function);
                    return;
                }
            }

            foreach (var (name, value) in customHeaders)
            {
                context.Response.Headers[name] = value;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
        });
    }

    /// <summary>Marks a request as matched; the host then invokes the route's function.</summary>
    private sealed class MatchTarget : IRouter
    {
        public static readonly MatchTarget Instance = new();

        public VirtualPathData? GetVirtualPath(VirtualPathContext context) => null;

        public Task RouteAsync(RouteContext context)
        {
            context.Handler = _ => Task.CompletedTask;
            return Task.CompletedTask;
        }
    }

    private async Task HandleAsync(HttpContext context, FunctionDescriptor function)
    {
        var request = context.Request;
        var response = context.Response;
        foreach (var (name, value) in customHeaders)
        {
            response.Headers[name] = value;
        }

        if (request.ContentLength > maxRequestBodyBytes)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        byte[] body;
        try
        {
            // The real host copies a body only when Content-Length is over 0: a chunked body never reaches the worker.
            body = request.ContentLength > 0 ? await ReadBodyAsync(request, context.RequestAborted) : [];
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var isHead = HttpMethods.IsHead(request.Method);
        var http = ToRpcHttp(request, body, request.Method);
        InvocationResponse result;
        try
        {
            result = await supervisor.InvokeAsync(function.Name, descriptor => CreateRequest(descriptor, http, request), context.RequestAborted);
        }
        catch (WorkerUnavailableException exception)
        {
            LogWorkerGone(logger, function.Name, exception.Message);
            response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (result.Result?.Status != StatusResult.Types.Status.Success)
        {
            // The real host answers a failed invocation with a bare 500; the details go to the log.
            LogInvocationFailed(logger, function.Name, result.Result?.Exception?.Message ?? "no details");
            response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var rpcResponse = FindHttpResult(function, result);
        await WriteResponseAsync(response, rpcResponse, isHead, context.RequestAborted);
    }

    private async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 0);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxRequestBodyBytes)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static RpcHttp ToRpcHttp(HttpRequest request, byte[] body, string method)
    {
        var http = new RpcHttp
        {
            Method = method,
            Url = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}",
        };
        foreach (var (key, value) in request.Headers)
        {
            http.NullableHeaders[key.ToLowerInvariant()] = new NullableString { Value = value.ToString() };
        }

        foreach (var (key, value) in request.Query)
        {
            http.NullableQuery[key] = new NullableString { Value = value.ToString() };
        }

        foreach (var (key, value) in request.RouteValues)
        {
            if (value is not null)
            {
                http.NullableParams[key] = new NullableString { Value = Convert.ToString(value, CultureInfo.InvariantCulture) };
            }
        }

        // The worker announces RawHttpBodyBytes and RpcHttpBodyOnly: the body travels as bytes, nothing else.
        if (body.Length > 0)
        {
            http.Body = new TypedData { Bytes = ByteString.CopyFrom(body) };
        }

        return http;
    }

    private static InvocationRequest CreateRequest(FunctionDescriptor function, RpcHttp http, HttpRequest request)
    {
        var invocation = InvocationFactory.Create(function, function.Trigger.Name, new TypedData { Http = http },
            InvocationFactory.HttpTraceContext(request.Headers.TraceParent.FirstOrDefault(), request.Headers.TraceState.FirstOrDefault()));

        // Binding data the real host adds next to the request: route values bind to parameters by name.
        foreach (var (key, value) in http.NullableParams)
        {
            invocation.TriggerMetadata[key] = new TypedData { String = value.Value };
        }

        invocation.TriggerMetadata["Query"] = InvocationFactory.Json(request.Query.ToDictionary(pair => pair.Key, pair => pair.Value.ToString()));
        invocation.TriggerMetadata["Headers"] = InvocationFactory.Json(request.Headers.ToDictionary(pair => pair.Key, pair => pair.Value.ToString()));
        return invocation;
    }

    private static RpcHttp? FindHttpResult(FunctionDescriptor function, InvocationResponse result)
    {
        var name = function.HttpOutput?.Name ?? "$return";
        if (name == "$return")
        {
            return result.ReturnValue?.Http;
        }

        return result.OutputData.FirstOrDefault(binding => binding.Name == name)?.Data?.Http;
    }

    private static async Task WriteResponseAsync(HttpResponse response, RpcHttp? http, bool isHead, CancellationToken cancellationToken)
    {
        if (http is null)
        {
            // The function set no HTTP result (for example it returned null): the real host answers 200 with no body.
            response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        response.StatusCode = int.TryParse(http.StatusCode, NumberStyles.Integer, CultureInfo.InvariantCulture, out var status)
            ? status
            : StatusCodes.Status200OK;
        foreach (var (key, value) in http.Headers)
        {
            // Kestrel frames the body itself.
            if (key.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase) ||
                key.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            response.Headers.Append(key, value);
        }

        foreach (var cookie in http.Cookies)
        {
            response.Headers.Append(HeaderNames.SetCookie, SetCookie(cookie));
        }

        var body = Body(http.Body);
        if (body.Length == 0 || status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            return;
        }

        response.ContentLength = body.Length;
        if (!isHead)
        {
            await response.Body.WriteAsync(body, cancellationToken);
        }
    }

    private static ReadOnlyMemory<byte> Body(TypedData? data) => data?.DataCase switch
    {
        TypedData.DataOneofCase.Bytes => data.Bytes.Memory,
        TypedData.DataOneofCase.Stream => data.Stream.Memory,
        TypedData.DataOneofCase.String => System.Text.Encoding.UTF8.GetBytes(data.String),
        TypedData.DataOneofCase.Json => System.Text.Encoding.UTF8.GetBytes(data.Json),
        TypedData.DataOneofCase.Int => System.Text.Encoding.UTF8.GetBytes(data.Int.ToString(CultureInfo.InvariantCulture)),
        TypedData.DataOneofCase.Double => System.Text.Encoding.UTF8.GetBytes(data.Double.ToString(CultureInfo.InvariantCulture)),
        _ => ReadOnlyMemory<byte>.Empty,
    };

    private static StringValues SetCookie(RpcHttpCookie cookie)
    {
        var header = new SetCookieHeaderValue(cookie.Name, cookie.Value);
        if (cookie.Domain is { StringCase: NullableString.StringOneofCase.Value } domain)
        {
            header.Domain = domain.Value;
        }

        if (cookie.Path is { StringCase: NullableString.StringOneofCase.Value } path)
        {
            header.Path = path.Value;
        }

        if (cookie.Expires is { TimestampCase: NullableTimestamp.TimestampOneofCase.Value } expires)
        {
            header.Expires = expires.Value.ToDateTimeOffset();
        }

        if (cookie.Secure is { BoolCase: NullableBool.BoolOneofCase.Value } secure)
        {
            header.Secure = secure.Value;
        }

        if (cookie.HttpOnly is { BoolCase: NullableBool.BoolOneofCase.Value } httpOnly)
        {
            header.HttpOnly = httpOnly.Value;
        }

        if (cookie.MaxAge is { DoubleCase: NullableDouble.DoubleOneofCase.Value } maxAge)
        {
            header.MaxAge = TimeSpan.FromSeconds(maxAge.Value);
        }

        header.SameSite = cookie.SameSite switch
        {
            RpcHttpCookie.Types.SameSite.Lax => HeaderSameSite.Lax,
            RpcHttpCookie.Types.SameSite.Strict => HeaderSameSite.Strict,
            RpcHttpCookie.Types.SameSite.ExplicitNone => HeaderSameSite.None,
            _ => HeaderSameSite.Unspecified,
        };
        return header.ToString();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Function {FunctionName}: {Methods} /{Template}")]
    private static partial void LogMapped(ILogger logger, string functionName, IReadOnlyList<string> methods, string template);

    [LoggerMessage(EventId = 41, Level = LogLevel.Error, Message = "Function {FunctionName} failed: {Reason}")]
    private static partial void LogInvocationFailed(ILogger logger, string functionName, string reason);

    [LoggerMessage(EventId = 42, Level = LogLevel.Error, Message = "Function {FunctionName} could not complete: {Reason}")]
    private static partial void LogWorkerGone(ILogger logger, string functionName, string reason);
}
