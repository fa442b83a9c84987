namespace Payments.Core.Auth;

/// <summary>Why a request was not authenticated.</summary>
public enum TokenRejectionReason
{
    /// <summary>No Authorization header at all.</summary>
    MissingToken,

    /// <summary>An Authorization header with another scheme than Bearer (e.g. Basic).</summary>
    WrongScheme,
    Malformed,
    AlgorithmNotAllowed,
    WrongIssuer,
    WrongAudience,
    Expired,
    NotYetValid,
    MissingExpiration,
    UnknownSigningKey,
    BadSignature,
    MissingSubject,

    /// <summary>A <c>crit</c> header names an extension this API does not understand (RFC 7515 section 4.1.11).</summary>
    UnsupportedCriticalHeader,

    /// <summary>The <c>typ</c> header is not a JWT access token type, or is missing while it is required (RFC 8725 section 3.11).</summary>
    WrongTokenType,

    /// <summary>The token claims a longer lifetime than <see cref="JwtOptions.MaxTokenLifetime"/>.</summary>
    LifetimeTooLong,
    Invalid,
}

/// <summary>The outcome of checking a request's bearer token.</summary>
public abstract record TokenVerification
{
    private TokenVerification()
    {
    }

    /// <summary>The token is genuine, current and meant for this API.</summary>
    public sealed record Verified(CallerPrincipal Caller) : TokenVerification;

    /// <summary>
    /// The token is missing or not acceptable. <paramref name="Description"/> tells the caller what is wrong and never
    /// contains the token. <paramref name="Subject"/> is the token's <c>sub</c> when the signature was verified, for
    /// logs only.
    /// </summary>
    public sealed record Rejected(TokenRejectionReason Reason, string Description, string? Subject = null) : TokenVerification
    {
        /// <summary>
        /// True when the request carried no bearer token at all: RFC 6750 then answers with a bare
        /// <c>WWW-Authenticate: Bearer</c> challenge, without an error code.
        /// </summary>
        public bool IsMissingCredentials => Reason is TokenRejectionReason.MissingToken or TokenRejectionReason.WrongScheme;
    }

    /// <summary>The issuer's keys could not be loaded, so no token can be checked now: retry later.</summary>
    public sealed record KeysUnavailable(string Description) : TokenVerification;
}
