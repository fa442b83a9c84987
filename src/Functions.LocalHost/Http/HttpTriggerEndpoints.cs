using System.Globalization;
using Functions.LocalHost.Grpc;
using Functions.LocalHost.Grpc.Messages;
using Functions.LocalHost.Worker;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using HeaderSameSite = Microsoft.Net.Http.Headers.SameSiteMode;

namespace Functions.LocalHost.Http;

/// <summary>
/// HTTP-triggered functions as ASP.NET Core endpoints, so routing, constraints, 404 and 405 with Allow behave as in
/// the real host (which routes with ASP.NET Core too).
/// </summary>
internal sealed partial class HttpTriggerEndpoints(WorkerSupervisor supervisor, long maxRequestBodyBytes, ILogger logger)
{
    private static readonly string[] AllMethods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "TRACE"];

    public static string Template(string routePrefix, FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var route = function.Trigger.GetString("route") is { Length: > 0 } custom ? custom.Trim('/') : function.Name;
        return string.IsNullOrEmpty(routePrefix) ? route : $"{routePrefix}/{route}";
    }

    /// <summary>
    /// The methods the function declares (all when it declares none). HEAD is added wherever GET is: the real host
    /// answers HEAD on GET routes, and the worker sees GET.
    /// </summary>
    public static IReadOnlyList<string> Methods(FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var declared = function.Trigger.GetStrings("methods").Select(method => method.ToUpperInvariant()).Distinct().ToList();
        if (declared.Count == 0)
        {
            return AllMethods;
        }

        if (declared.Contains("GET") && !declared.Contains("HEAD"))
        {
            declared.Add("HEAD");
        }

        return declared;
    }

    public void Map(IEndpointRouteBuilder endpoints, string routePrefix, IEnumerable<FunctionDescriptor> functions)
    {
        foreach (var function in functions.Where(function => function.Kind == TriggerKind.Http))
        {
            var template = Template(routePrefix, function);
            var methods = Methods(function);
            var declaresHead = function.Trigger.GetStrings("methods").Any(method => method.Equals("HEAD", StringComparison.OrdinalIgnoreCase));
            endpoints.MapMethods(template, methods, context => HandleAsync(context, function, declaresHead))
                .WithDisplayName(function.Name);
            LogMapped(logger, function.Name, methods, template);
        }
    }

    private async Task HandleAsync(HttpContext context, FunctionDescriptor function, bool declaresHead)
    {
        var request = context.Request;
        var response = context.Response;
        if (request.ContentLength > maxRequestBodyBytes)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(request, context.RequestAborted);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var isHead = HttpMethods.IsHead(request.Method);
        var http = ToRpcHttp(request, body, isHead && !declaresHead ? HttpMethods.Get : request.Method);
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
        if (request.ContentLength == 0)
        {
            return [];
        }

        // Content-Length was checked already; this catches chunked bodies that grow past the limit.
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
        var invocation = InvocationFactory.Create(function, function.Trigger.Name, new TypedData { Http = http });

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
            // The function set no HTTP result (for example it returned null): there is nothing to send but a status.
            response.StatusCode = StatusCodes.Status204NoContent;
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
