using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Payments.Testing.Telemetry;

/// <summary>
/// A minimal OTLP/HTTP (protobuf) receiver on loopback, for tests that run the app in another process with
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> = <see cref="Endpoint"/>: it accepts <c>/v1/traces</c> (decoded, see
/// <see cref="OtlpSpan"/>), <c>/v1/metrics</c> and <c>/v1/logs</c> (kept raw, for scanning) and answers 200 with an
/// empty export response.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _server;
    private readonly List<OtlpSpan> _spans = [];
    private readonly List<KeyValuePair<string, string>> _resourceAttributes = [];
    private readonly List<byte[]> _otherBodies = [];

    private OtlpReceiver(WebApplication server, Uri endpoint)
    {
        _server = server;
        Endpoint = endpoint;
    }

    /// <summary>The base address to give as OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces...).</summary>
    public Uri Endpoint { get; }

    public IReadOnlyList<OtlpSpan> Spans
    {
        get
        {
            lock (_spans)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>Every attribute value received: span and resource attributes, and the raw text of metric and log exports.</summary>
    public IReadOnlyList<string> AllReceivedText()
    {
        lock (_spans)
        {
            return [.. _spans.SelectMany(span => span.Attributes.Select(a => a.Key + "=" + a.Value).Append(span.Name)),
                .. _resourceAttributes.Select(a => a.Key + "=" + a.Value),
                .. _otherBodies.Select(body => System.Text.Encoding.UTF8.GetString(body))];
        }
    }

    public static async Task<OtlpReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var server = builder.Build();
        OtlpReceiver? receiver = null;
        server.Run(context => receiver!.ReceiveAsync(context));
        await server.StartAsync(cancellationToken);
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        receiver = new OtlpReceiver(server, address);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.ContentType != "application/x-protobuf")
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        lock (_spans)
        {
            if (context.Request.Path == "/v1/traces")
            {
                _spans.AddRange(OtlpSpan.DecodeExportRequest(body, _resourceAttributes));
            }
            else
            {
                _otherBodies.Add(body);
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
    }
}
