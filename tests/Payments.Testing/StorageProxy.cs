using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Payments.Testing;

/// <summary>
/// The strict storage guard for the app's worker process (end-to-end tests, chaos, benchmarks): a loopback reverse
/// proxy in front of Azurite's table endpoint. The app gets <see cref="ConnectionString"/>, whose TableEndpoint is
/// this proxy; every table request passes <see cref="StorageGuard.Inspect"/> and is forwarded unchanged (Shared Key
/// signatures cover the path, not the host), or answered 400 with the violation when it breaks the guard's rules (a query or a batch across partitions).
/// The fixture calls <see cref="StorageGuard.ThrowIfViolated"/> at the end, so a violation the app swallowed still fails.
/// <see cref="Faults"/> fails chosen requests from outside the app: a fault after sending lets Azurite carry the request
/// out and then breaks the connection, a real lost answer on the wire.
/// </summary>
public sealed class StorageProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly WebApplication _server;
    private readonly HttpClient _forward;

    private StorageProxy(WebApplication server, HttpClient forward, StorageGuard guard, StorageFaultInjector faults, string connectionString)
    {
        _server = server;
        _forward = forward;
        Guard = guard;
        Faults = faults;
        ConnectionString = connectionString;
    }

    public StorageGuard Guard { get; }

    /// <summary>Rules for failing table requests of the app's worker; none until a test adds one.</summary>
    public StorageFaultInjector Faults { get; }

    /// <summary>The storage connection string the app uses: Azurite's, with the table endpoint pointing at this proxy.</summary>
    public string ConnectionString { get; }

    public static async Task<StorageProxy> StartAsync(string azuriteConnectionString, StorageGuard guard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(guard);
        var settings = StorageConnectionStrings.Parse(azuriteConnectionString);
        var tableEndpoint = new Uri(settings["TableEndpoint"]);
        var forward = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 256,
        })
        { Timeout = TimeSpan.FromSeconds(60) };

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var server = builder.Build();
        var faults = new StorageFaultInjector();
        server.Run(context => ForwardAsync(context, forward, tableEndpoint, guard, faults));
        await server.StartAsync(cancellationToken);

        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        settings["TableEndpoint"] = new UriBuilder(tableEndpoint) { Host = address.Host, Port = address.Port }.Uri.ToString().TrimEnd('/');
        return new StorageProxy(server, forward, guard, faults, StorageConnectionStrings.Format(settings));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
        _forward.Dispose();
    }

    private static async Task ForwardAsync(HttpContext context, HttpClient forward, Uri target, StorageGuard guard, StorageFaultInjector faults)
    {
        var request = context.Request;
        // Read first: the guard inspects a batch's body, and the fault rules decide before anything goes out.
        byte[]? content = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            content = buffer.ToArray();
        }

        if (guard.Inspect(request.Method, request.Path.Value ?? "/", request.QueryString.Value, body: content) is { } violation)
        {
            // 400 with Table Storage's error shape: not retried by the SDK, and the app's answer shows the reason.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.Headers["x-ms-error-code"] = "StrictStorageGuardViolation";
            context.Response.ContentType = "application/json;odata=minimalmetadata";
            await context.Response.WriteAsync(
                """{"odata.error":{"code":"StrictStorageGuardViolation","message":{"lang":"en-US","value":"""
                + System.Text.Json.JsonSerializer.Serialize(violation) + "}}}",
                Encoding.UTF8, context.RequestAborted);
            return;
        }

        var fault = faults.Take(request.Method, request.Path.Value ?? "/");
        if (fault is { Timing: StorageFaultTiming.BeforeSending })
        {
            await FailAsync(context, fault);
            return;
        }

        var uri = new UriBuilder(target) { Path = request.Path.Value, Query = request.QueryString.Value }.Uri;
        using var outgoing = new HttpRequestMessage(new HttpMethod(request.Method), uri);
        if (content is not null)
        {
            outgoing.Content = new ByteArrayContent(content);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!outgoing.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                outgoing.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        HttpResponseMessage answer;
        byte[] body;
        try
        {
            answer = await forward.SendAsync(outgoing, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
            body = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            // Azurite is down (the chaos run restarts it): the app must see what it would see without the proxy,
            // a broken connection, not an answer.
            context.Abort();
            return;
        }

        using var _ = answer;
        if (fault is not null)
        {
            await FailAsync(context, fault); // Azurite carried the request out; its answer is lost
            return;
        }

        if (answer.StatusCode == HttpStatusCode.OK && StorageOperations.Classify(request.Method, request.Path.Value ?? "/") == StorageOperation.TableQuery)
        {
            guard.RecordQueryAnswer(body);
        }

        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static async Task FailAsync(HttpContext context, StorageFaultRule fault)
    {
        if (fault.Kind == StorageFaultKind.NetworkError)
        {
            context.Abort(); // the client's transport sees the connection reset, as on a real network error
            return;
        }

        var (status, errorCode, body) = StorageFaultInjector.Answer(fault.Kind);
        context.Response.StatusCode = status;
        context.Response.Headers["x-ms-error-code"] = errorCode;
        context.Response.ContentType = "application/json;odata=minimalmetadata";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}

/// <summary>Reads and writes storage connection strings, expanding the development shorthand to Azurite's default endpoints.</summary>
public static class StorageConnectionStrings
{
    private const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static Dictionary<string, string> Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        if (connectionString.Trim().TrimEnd(';').Equals("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            connectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + DevelopmentKey
                + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
                + "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1";
        }

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                settings[part[..equals]] = part[(equals + 1)..];
            }
        }

        return settings.ContainsKey("TableEndpoint") ? settings
            : throw new ArgumentException("The storage connection string names no TableEndpoint; the strict storage guard needs Azurite's.", nameof(connectionString));
    }

    public static string Format(IReadOnlyDictionary<string, string> settings) =>
        string.Join(';', settings.Select(pair => pair.Key + "=" + pair.Value)) + ";";
}
