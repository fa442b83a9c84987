using Payments.Core.Auth;

namespace Payments.Functions.Middleware;

/// <summary>Which of the <see cref="PaymentScopes"/> an HTTP method needs.</summary>
public static class ScopePolicy
{
    /// <summary>
    /// The scope a request with this method needs, or null for none (CORS preflight carries no credentials).
    /// A method not listed needs the write scope: an unknown method is never cheaper to authorize than a known one.
    /// </summary>
    public static string? RequiredScope(string httpMethod)
    {
        ArgumentNullException.ThrowIfNull(httpMethod);
        return httpMethod.ToUpperInvariant() switch
        {
            "OPTIONS" => null,
            "GET" or "HEAD" => PaymentScopes.Read,
            _ => PaymentScopes.Write,
        };
    }

    /// <summary>The missing scope, or null when the caller may make a request with this method.</summary>
    public static string? MissingScope(CallerPrincipal caller, string httpMethod)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var required = RequiredScope(httpMethod);
        return required is null || caller.HasScope(required) ? null : required;
    }
}
