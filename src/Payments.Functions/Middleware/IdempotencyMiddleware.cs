using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Options;
using Payments.Core.Storage;
using Payments.Functions.Http;

namespace Payments.Functions.Middleware;

/// <summary>
/// Applies the idempotency layer to functions marked <see cref="IdempotentAttribute"/>: the core claims the caller's
/// key, runs the function at most once, stores its answer and answers retries. This class only translates between
/// the worker's HTTP types and the core's.
/// </summary>
public sealed class IdempotencyMiddleware(IdempotentRequestProcessor processor, IOptions<StorageOptions> storage) : IFunctionsWorkerMiddleware
{
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
        var body = context.TryGetRawBody() ?? await ReadAllAsync(request, context.CancellationToken);
        var idempotentRequest = new IdempotentRequest(
            context.GetCaller().Subject, request.Header("Idempotency-Key"), request.Method, request.Url.AbsolutePath, request.Header("Content-Type"), body)
        {
            TraceId = context.TraceId(),
            Mode = idempotent.Mode,
            Table = idempotent.Records switch
            {
                IdempotencyRecords.Payments => storage.Value.PaymentsTable,
                IdempotencyRecords.Customers => storage.Value.CustomersTable,
                _ => null,
            },
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

        (await HttpResponses.CreateAsync(request, answer.StatusCode, answer.Headers, answer.Body, context.CancellationToken)).SetAsInvocationResult(context);
    }

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
        return buffer.ToArray();
    }
}
