namespace Payments.Core.Auth;

/// <summary>
/// How bearer tokens are verified. Bound from the "Jwt" section and validated when the host starts
/// (<see cref="JwtOptionsValidator"/>), so a wrong setting stops the app instead of rejecting every call.
/// </summary>
public sealed class JwtOptions
{
    public const string SectionName = "Jwt";

    public const string DefaultAllowedAlgorithms = "RS256 PS256 ES256";

    /// <summary>The exact <c>iss</c> value accepted.</summary>
    public string? Issuer { get; set; }

    /// <summary>The exact <c>aud</c> value accepted (one of the token's audiences must equal it).</summary>
    public string? Audience { get; set; }

    /// <summary>Tolerance for clock differences between the issuer and this app when checking <c>exp</c> and <c>nbf</c>.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Key source 1 of 3: the issuer's base URL; keys come from its OpenID Connect discovery document.</summary>
    public string? Authority { get; set; }

    /// <summary>Key source 2 of 3: the URL of a JSON Web Key Set.</summary>
    public string? JwksUri { get; set; }

    /// <summary>
    /// Key source 3 of 3, for development: a JWKS file. A relative path is looked up in the app's directory and then in
    /// each parent directory, the way git finds <c>.git</c>, so ".devkeys/jwks.json" finds the repository's dev keys
    /// whichever bin folder (or test output) the app runs from. See <see cref="JwksFileKeySource.ResolvePath"/>.
    /// </summary>
    public string? SigningKeysPath { get; set; }

    /// <summary>
    /// Accepted signature algorithms, separated by spaces or commas. A string rather than a list because the
    /// configuration binder appends to a list's defaults instead of replacing them.
    /// </summary>
    public string AllowedAlgorithms { get; set; } = DefaultAllowedAlgorithms;

    /// <summary>How long fetched keys are used before they are fetched again.</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least time between two fetches caused by tokens with an unknown <c>kid</c>: a flood of made-up key ids
    /// costs the issuer at most one request per interval.
    /// </summary>
    public TimeSpan UnknownKeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When true a token must carry a <c>typ</c> header (<c>JWT</c> or <c>at+jwt</c>, RFC 9068); when false a missing
    /// <c>typ</c> is accepted, but one that is present must still be one of those.
    /// </summary>
    public bool RequireTokenType { get; set; }

    /// <summary>
    /// The longest lifetime a token may claim: <c>exp - iat</c>, or <c>exp - now</c> when it has no <c>iat</c>. A
    /// token valid for years is a stolen credential that never runs out.
    /// </summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long the last successfully fetched keys may be used while every later fetch fails. After that the API fails
    /// closed (503) instead of trusting keys the issuer may have revoked.
    /// </summary>
    public TimeSpan MaxKeyStaleness { get; set; } = TimeSpan.FromHours(6);

    public TimeSpan ClockSkew => TimeSpan.FromSeconds(ClockSkewSeconds);

    public IReadOnlyList<string> AllowedAlgorithmList =>
        AllowedAlgorithms.Split([' ', ',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
