using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using Payments.Functions.Http;

namespace Payments.Functions.Middleware;

/// <summary>
/// The outermost middleware for HTTP triggers: anything unexpected becomes a problem+json answer without internals.
/// Storage that cannot be reached is a 503 with Retry-After (retry with the same Idempotency-Key); a write storage
/// refused as invalid (400) is a 400 naming what cannot be stored; anything else a 500.
/// </summary>
public sealed partial class ExceptionMiddleware(ILogger<ExceptionMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next(context);
        }
        catch (Exception exception) when (!context.CancellationToken.IsCancellationRequested)
        {
            var request = await context.GetHttpRequestDataAsync();
            if (request is null)
            {
                throw;
            }

            var unavailable = StorageFailures.IsUnavailable(exception, context.CancellationToken);
            if (unavailable)
            {
                LogStorageUnavailable(exception, context.FunctionDefinition.Name, context.InvocationId);
            }
            else
            {
                LogUnexpected(exception, context.FunctionDefinition.Name, context.InvocationId);
            }

            var problem = StorageFailures.IsRefusedAsInvalid(exception, out var errorCode)
                ? ApiProblems.NotStorable(errorCode)
                : unavailable
                ? ApiProblems.StorageUnavailable()
                : ApiProblems.InternalError(context.InvocationId);
            var answer = ApiResponse.Problem(problem, request.Url.AbsolutePath, context.TraceId());
            (await HttpResponses.CreateAsync(request, answer.StatusCode, answer.Headers, answer.Body, CancellationToken.None)).SetAsInvocationResult(context);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "Function {FunctionName} failed unexpectedly (invocation {InvocationId})")]
    private partial void LogUnexpected(Exception exception, string functionName, string invocationId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Function {FunctionName} could not reach storage (invocation {InvocationId})")]
    private partial void LogStorageUnavailable(Exception exception, string functionName, string invocationId);
}
