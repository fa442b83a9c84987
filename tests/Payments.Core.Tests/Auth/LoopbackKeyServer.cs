using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Payments.Core.Tests.Auth;

/// <summary>
/// A real issuer endpoint on 127.0.0.1: serves an OpenID Connect discovery document and a JWKS that the test can
/// replace at any time, and counts requests per path.
/// </summary>
public sealed class LoopbackKeyServer : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int discoveryRequests;
    private int jwksRequests;

    public LoopbackKeyServer(string initialJwks)
    {
        Jwks = initialJwks;
        // HttpListener needs a concrete port: take one the OS says is free, and retry on the rare collision.
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            BaseUri = new Uri($"http://127.0.0.1:{port}/");
            listener.Prefixes.Clear();
            listener.Prefixes.Add(BaseUri.AbsoluteUri);
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }

        loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    public Uri JwksUri => new(BaseUri, "keys");

    private volatile string jwks = "";

    public string Jwks
    {
        get => jwks;
        set => jwks = value;
    }

    public int DiscoveryRequests => Volatile.Read(ref discoveryRequests);

    public int JwksRequests => Volatile.Read(ref jwksRequests);

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().WaitAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var response = context.Response;
            string body;
            switch (context.Request.Url?.AbsolutePath)
            {
                case "/.well-known/openid-configuration":
                    Interlocked.Increment(ref discoveryRequests);
                    body = $$"""{"issuer":"{{TestIssuer.Issuer}}","jwks_uri":"{{JwksUri.AbsoluteUri}}","id_token_signing_alg_values_supported":["RS256"]}""";
                    break;
                case "/keys":
                    Interlocked.Increment(ref jwksRequests);
                    body = Jwks;
                    break;
                default:
                    response.StatusCode = 404;
                    continue;
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            response.ContentType = "application/json";
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await loop;
        listener.Close();
        stop.Dispose();
    }
}
