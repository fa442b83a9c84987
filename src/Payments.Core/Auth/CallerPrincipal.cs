namespace Payments.Core.Auth;

/// <summary>
/// Who is calling, as proven by a verified token. Everything a function needs to authorize and to scope data;
/// nothing of it is kept between calls.
/// </summary>
/// <param name="Subject">The token's <c>sub</c>: the owner of every resource and idempotency record the call touches.</param>
/// <param name="Scopes">The granted scopes, from <c>scope</c> (space separated) or <c>scp</c> (string or array).</param>
/// <param name="TokenId">The token's <c>jti</c>, when it has one.</param>
public sealed record CallerPrincipal(string Subject, IReadOnlyList<string> Scopes, string? TokenId)
{
    public bool HasScope(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}
