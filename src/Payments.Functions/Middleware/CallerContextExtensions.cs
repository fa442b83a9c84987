using Microsoft.Azure.Functions.Worker;
using Payments.Core.Auth;

namespace Payments.Functions.Middleware;

/// <summary>How a function learns who is calling: the middleware verified the token, the function only reads the result.</summary>
public static class CallerContextExtensions
{
    /// <summary>The <see cref="FunctionContext.Items"/> key under which the verified caller is stored.</summary>
    public const string CallerItemKey = "Payments.Auth.Caller";

    /// <summary>The verified caller of this invocation.</summary>
    /// <exception cref="InvalidOperationException">The function is anonymous or runs without the authentication middleware.</exception>
    public static CallerPrincipal GetCaller(this FunctionContext context) =>
        TryGetCaller(context) ?? throw new InvalidOperationException(
            $"No verified caller for function '{context.FunctionDefinition.Name}'. Only authenticated HTTP functions have one: " +
            $"remove [{nameof(AllowAnonymousAttribute)}] or do not ask for the caller.");

    /// <summary>The verified caller, or null for anonymous functions.</summary>
    public static CallerPrincipal? TryGetCaller(this FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(CallerItemKey, out var caller) ? caller as CallerPrincipal : null;
    }

    internal static void SetCaller(this FunctionContext context, CallerPrincipal caller) => context.Items[CallerItemKey] = caller;
}
