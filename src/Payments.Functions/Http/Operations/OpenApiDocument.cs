using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Payments.Functions.Middleware;

namespace Payments.Functions.Http.Operations;

/// <summary>The OpenAPI 3.1 document of this API, public and cacheable: it holds nothing per caller.</summary>
public sealed class OpenApiDocument
{
    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("Payments.Functions.OpenApi.openapi.json")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded in the app.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });

    public static ReadOnlyMemory<byte> Bytes => Document.Value;

    [Function(nameof(OpenApiDocument))]
    [AllowAnonymous]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "v1/openapi.json")] HttpRequestData request, FunctionContext context)
    {
        var response = request.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        response.Headers.Add("Cache-Control", "public, max-age=3600");
        await response.Body.WriteAsync(Document.Value, context.CancellationToken);
        return response;
    }
}
