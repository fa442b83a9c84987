using System.Net;
using System.Text;
using Idempotency.Functions;
using Idempotency.Tables;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using Payments.Core.Auth;
using Payments.Core.Telemetry;
using Payments.Functions.Http;

namespace Payments.Functions.Middleware;

/// <summary>
/// Authenticates every HTTP function except those marked <see cref="AllowAnonymousAttribute"/>: verifies the bearer
/// token, checks the scope the HTTP method needs, and hands the caller to the function through the context. On
/// failure it answers itself (RFC 6750 challenge + RFC 9457 problem) and the function never runs.
/// </summary>
public sealed partial class AuthenticationMiddleware(TokenVerifier verifier, ILogger<AuthenticationMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public const string HttpTriggerBindingType = "httpTrigger";

    /// <summary>How a refusal becomes the invocation's HTTP response; replaceable by tests (the worker's binding feature is internal).</summary>
    internal Action<FunctionContext, HttpResponseData> SetResponse { get; init; } = SetInvocationResponse;

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);

        var definition = context.FunctionDefinition;
        if (!IsHttpTriggered(definition) || IsMarkedAnonymous(definition.EntryPoint))
        {
            await next(context);
            return;
        }

        var request = await context.GetHttpRequestDataAsync()
            ?? throw new InvalidOperationException($"Function '{definition.Name}' has an HTTP trigger but no HTTP request could be bound.");
        var cancellationToken = context.CancellationToken;
        var outcome = await verifier.VerifyAuthorizationAsync(AuthorizationHeader(request), cancellationToken);

        HttpResponseData response;
        switch (outcome)
        {
            case TokenVerification.Verified { Caller: var caller }:
                var missingScope = ScopePolicy.MissingScope(caller, request.Method);
                var subjectId = SubjectLogId.Of(caller.Subject);
                if (missingScope is null)
                {
                    context.SetCaller(caller);
                    LogAuthenticated(logger, subjectId, definition.Name);

                    await next(context);
                    return;
                }

                LogInsufficientScope(logger, subjectId, definition.Name, request.Method, missingScope);
                RecordTokenFailure("InsufficientScope");
                response = await InsufficientScopeAsync(request, caller, missingScope, cancellationToken);
                break;

            case TokenVerification.Rejected rejected:
                LogRejected(logger, definition.Name, rejected.Reason, rejected.Subject is { } subject ? SubjectLogId.Of(subject) : "unknown");
                RecordTokenFailure(rejected.Reason.ToString());
                response = await UnauthorizedAsync(request, rejected, cancellationToken);
                break;

            case TokenVerification.KeysUnavailable unavailable:
                LogKeysUnavailable(logger, definition.Name);
                RecordTokenFailure("KeysUnavailable");
                response = await ProblemResponses.WriteAsync(request, ApiProblems.AuthenticationUnavailable(unavailable.Description), cancellationToken);
                break;

            default:
                throw new InvalidOperationException("Unexpected verification outcome " + outcome.GetType().Name);
        }

        SetResponse(context, response);
    }

    internal static bool IsHttpTriggered(FunctionDefinition definition) =>
        definition.InputBindings.Values.Any(b => string.Equals(b.Type, HttpTriggerBindingType, StringComparison.OrdinalIgnoreCase));

    internal static bool IsMarkedAnonymous(string entryPoint) => FunctionAttributes.Get<AllowAnonymousAttribute>(entryPoint) is not null;

    private static string? AuthorizationHeader(HttpRequestData request) =>
        request.Headers.TryGetValues("Authorization", out var values) ? values.FirstOrDefault() : null;

    private static async Task<HttpResponseData> UnauthorizedAsync(HttpRequestData request, TokenVerification.Rejected rejected, CancellationToken cancellationToken)
    {
        var missing = rejected.IsMissingCredentials;
        var response = await ProblemResponses.WriteAsync(request, ApiProblems.Unauthenticated(missing, rejected.Description), cancellationToken);
        // RFC 6750 §3.1: a request without credentials gets the bare challenge, without an error code.
        response.Headers.Add("WWW-Authenticate", missing
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{QuotedStringSafe(rejected.Description)}\"");
        return response;
    }

    private static async Task<HttpResponseData> InsufficientScopeAsync(HttpRequestData request, CallerPrincipal caller, string missingScope, CancellationToken cancellationToken)
    {
        var granted = caller.Scopes.Count == 0 ? "none" : string.Join(' ', caller.Scopes);
        var description = $"A {request.Method.ToUpperInvariant()} request needs the '{missingScope}' scope; the token grants: {granted}.";
        var response = await ProblemResponses.WriteAsync(request, ApiProblems.InsufficientScope(description), cancellationToken);
        response.Headers.Add("WWW-Authenticate",
            $"Bearer error=\"insufficient_scope\", scope=\"{QuotedStringSafe(missingScope)}\", error_description=\"{QuotedStringSafe(description)}\"");
        return response;
    }

    /// <summary>RFC 6750 allows only printable ASCII without '"' and '\' inside these quoted values.</summary>
    internal static string QuotedStringSafe(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c : c == '"' ? '\'' : '?');
        }

        return builder.ToString();
    }

    private static void SetInvocationResponse(FunctionContext context, HttpResponseData response)
    {
        var httpOutput = context.FunctionDefinition.OutputBindings.FirstOrDefault(b => string.Equals(b.Value.Type, "http", StringComparison.OrdinalIgnoreCase));
        if (httpOutput.Key is not (null or "$return"))
        {
            // The function never runs, so there is no return object whose property could carry the response.
            throw new InvalidOperationException(
                $"Function '{context.FunctionDefinition.Name}' returns its HTTP response in '{httpOutput.Key}'; authenticated functions must return HttpResponseData.");
        }

        context.GetInvocationResult().Value = response;
    }

    /// <summary>The reason is a name from a fixed set (<see cref="TokenRejectionReason"/> and two of this middleware's own), never token content.</summary>
    private static void RecordTokenFailure(string reason) =>
        PaymentsTelemetry.TokenFailures.Add(1, new KeyValuePair<string, object?>(PaymentsTelemetry.Attributes.Reason, reason));

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Rejected a call to {FunctionName}: {Reason} (subject {SubjectId})")]
    private static partial void LogRejected(ILogger logger, string functionName, TokenRejectionReason reason, string subjectId);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Refused subject {SubjectId} a {Method} call to {FunctionName}: missing scope {Scope}")]
    private static partial void LogInsufficientScope(ILogger logger, string subjectId, string functionName, string method, string scope);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "Could not authenticate a call to {FunctionName}: the issuer's signing keys are unavailable")]
    private static partial void LogKeysUnavailable(ILogger logger, string functionName);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Debug, Message = "Authenticated subject {SubjectId} for {FunctionName}")]
    private static partial void LogAuthenticated(ILogger logger, string subjectId, string functionName);
}
