using System.Net;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Options;

namespace Idempotency.Functions;

/// <summary>
/// Applies the idempotency layer to functions marked <see cref="IdempotentAttribute"/>: the core claims the caller's
/// key, runs the function at most once, stores its answer and answers retries. This class only translates between
/// the worker's HTTP types and the core's.
/// </summary>
public sealed class IdempotencyMiddleware(IdempotentRequestProcessor processor, IOptions<IdempotentFunctionsOptions> options) : IFunctionsWorkerMiddleware
{
    /// <summary>Runs an [Idempotent] function under its key and writes the answer; any other function runs untouched.</summary>
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (FunctionAttributes.Get<IdempotentAttribute>(context.FunctionDefinition) is not { } idempotent)
        {
            await next(context);
            return;
        }

        var request = await context.GetHttpRequestDataAsync()
            ?? throw new InvalidOperationException($"Function '{context.FunctionDefinition.Name}' is [Idempotent] but has no HTTP request.");
        var settings = options.Value;
        var name = context.FunctionDefinition.Name;
        var subject = settings.Subject?.Invoke(context) is { Length: > 0 } caller
            ? caller
            : throw new InvalidOperationException($"Function '{name}' is [Idempotent] but has no caller: keys are scoped to the caller, so authenticate before this middleware runs.");
        var table = settings.RecordTables.TryGetValue(name, out var registered)
            ? registered
            : throw new InvalidOperationException($"Function '{name}' is [Idempotent] but no table keeps its records: register one in IdempotentFunctionsOptions.RecordTables.");
        var body = context.TryGetIdempotencyRequestBody() ?? await ReadAllAsync(request, context.CancellationToken);
        var idempotentRequest = new IdempotentRequest(
            subject, Header(request, IdempotencyKey.HeaderName), request.Method, request.Url.AbsolutePath, Header(request, "Content-Type"), body)
        {
            Repeatability = RepeatabilityHeaders.From(Header(request, RepeatabilityHeaders.RequestIdHeader), Header(request, RepeatabilityHeaders.FirstSentHeader)),
            TraceId = context.TraceContext?.TraceParent is { Length: > 0 } traceParent ? traceParent : context.InvocationId,
            Mode = idempotent.Mode,
            Table = table,
        };

        var answer = await processor.ProcessAsync(idempotentRequest, async (lease, cancellationToken) =>
        {
            context.SetIdempotencyLease(lease);
            await next(context);
            var response = context.GetHttpResponseData()
                ?? throw new InvalidOperationException($"Function '{context.FunctionDefinition.Name}' returned no HTTP response.");
            return new HandlerResult((int)response.StatusCode, Flatten(response.Headers), await ReadAllAsync(response.Body, cancellationToken))
            {
                Retention = lease.Retention,
            };
        }, context.CancellationToken);

        var written = request.CreateResponse((HttpStatusCode)answer.StatusCode);
        foreach (var (header, value) in answer.Headers)
        {
            written.Headers.Add(header, value);
        }

        if (!answer.Body.IsEmpty)
        {
            await written.Body.WriteAsync(answer.Body, context.CancellationToken);
        }

        context.GetInvocationResult().Value = written;
    }

    private static string? Header(HttpRequestData request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private static List<KeyValuePair<string, string>> Flatten(HttpHeadersCollection headers) =>
        [.. headers.SelectMany(header => header.Value.Select(value => new KeyValuePair<string, string>(header.Key, value)))];

    private static Task<byte[]> ReadAllAsync(HttpRequestData request, CancellationToken cancellationToken) => ReadAllAsync(request.Body, cancellationToken);

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (stream.CanSeek)
        {
            stream.Position = 0;
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        if (stream.CanSeek)
        {
            // Rewound for the function behind this middleware, which reads the request body again.
            stream.Position = 0;
        }

        return buffer.ToArray();
    }
}
