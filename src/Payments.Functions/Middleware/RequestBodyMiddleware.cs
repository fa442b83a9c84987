using System.Collections.Concurrent;
using System.Reflection;
using Idempotency.Functions;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Payments.Core;
using Payments.Functions.Http;

namespace Payments.Functions.Middleware;

/// <summary>
/// Reads and validates the JSON body of functions marked <see cref="RequestBodyAttribute"/> before anything else
/// happens: a bad body is answered here (400/411/413/415 problem+json, or a registered <see cref="IRequestBodyRule"/>'s
/// answer), so it never claims an Idempotency-Key and leaves nothing in storage. The body limit is the app's one limit,
/// Idempotency:MaxRequestBodyBytes (1 byte to 16 MiB, validated at start).
/// </summary>
public sealed class RequestBodyMiddleware(IOptions<IdempotencyOptions> idempotency) : IFunctionsWorkerMiddleware
{
    private static readonly ConcurrentDictionary<Type, Func<byte[], string?, int, RequestBodyReading>> Readers = new();
    private static readonly MethodInfo ReadGeneric = typeof(RequestBodyMiddleware).GetMethod(nameof(Read), BindingFlags.NonPublic | BindingFlags.Static)!;

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (FunctionAttributes.Get<RequestBodyAttribute>(context.FunctionDefinition) is not { } declared)
        {
            await next(context);
            return;
        }

        var request = await context.GetHttpRequestDataAsync()
            ?? throw new InvalidOperationException($"Function '{context.FunctionDefinition.Name}' declares a request body but has no HTTP request.");
        // Azure's host copies a body to the worker only when Content-Length is over 0: a chunked body arrives empty.
        // Refuse it as such instead of reading nothing, under every host.
        var maxBytes = idempotency.Value.MaxRequestBodyBytes;
        var envelope = request.Header("Content-Length") is null
            ? ApiProblems.LengthRequired()
            : JsonBody.CheckEnvelope(request.Header("Content-Type"), request.Body.CanSeek ? request.Body.Length : 0, maxBytes);
        byte[] raw = [];
        if (envelope is null)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.CancellationToken);
            raw = buffer.ToArray();
        }

        var reading = envelope is null
            ? Readers.GetOrAdd(declared.BodyType, CreateReader)(raw, request.Header("Content-Type"), maxBytes)
            : new RequestBodyReading(null, envelope);
        var problem = reading.Problem;
        if (problem is null)
        {
            foreach (var rule in context.InstanceServices.GetServices<IRequestBodyRule>())
            {
                if (rule.BodyType == declared.BodyType && rule.Check(reading.Body!) is { } refused)
                {
                    problem = refused;
                    break;
                }
            }
        }

        if (problem is not null)
        {
            var answer = ApiResponse.Problem(problem, request.Url.AbsolutePath, context.TraceId());
            (await answer.ToHttpResponseAsync(request)).SetAsInvocationResult(context);
            return;
        }

        context.SetRequestBody(reading.Body!, raw);
        await next(context);
    }

    private static Func<byte[], string?, int, RequestBodyReading> CreateReader(Type bodyType) =>
        ReadGeneric.MakeGenericMethod(bodyType).CreateDelegate<Func<byte[], string?, int, RequestBodyReading>>();

    private static RequestBodyReading Read<T>(byte[] body, string? contentType, int maxBytes)
        where T : class, IValidatable<T> =>
        RequestBody.ReadValid<T>(body, contentType, maxBytes) switch
        {
            BodyReadResult<T>.Read read => new RequestBodyReading(read.Value, null),
            BodyReadResult<T>.Refused refused => new RequestBodyReading(null, refused.Problem),
            _ => throw new InvalidOperationException("Unknown body read result."),
        };

    private sealed record RequestBodyReading(object? Body, ProblemDetails? Problem);
}
