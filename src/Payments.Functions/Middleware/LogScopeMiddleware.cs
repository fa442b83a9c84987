using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace Payments.Functions.Middleware;

/// <summary>
/// Every log line written while an invocation runs carries its invocation id and function name as properties, so
/// one request or one message can be followed across the core's logs (which carry payment ids themselves).
/// </summary>
public sealed class LogScopeMiddleware(ILogger<LogScopeMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        using (logger.BeginScope(new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["InvocationId"] = context.InvocationId,
            ["FunctionName"] = context.FunctionDefinition.Name,
        }))
        {
            await next(context);
        }
    }
}
