using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Payments.Core.Auth;

/// <summary>
/// Verifies a bearer token on its own: signature against the issuer's cached public keys, issuer, audience,
/// <c>exp</c>/<c>nbf</c> with clock skew, a bounded lifetime, an allowed asymmetric algorithm, an accepted <c>typ</c>,
/// no <c>crit</c> extension and a subject. Nothing about the caller is remembered afterwards. Descriptions in the
/// outcome say what is wrong and never repeat the token, nor the issuer and audience this API trusts.
/// </summary>
public sealed class TokenVerifier
{
    /// <summary>Far above any real access token; a longer header is refused before it is parsed.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private readonly SigningKeyCache keys;
    private readonly JwtOptions options;
    private readonly HashSet<string> allowedAlgorithms;
    private readonly TimeProvider time;
    private readonly JsonWebTokenHandler handler = new() { MaximumTokenSizeInBytes = MaxTokenLength };

    // Parameters are rebuilt only when the key set changes; the handler only reads them, so sharing is safe.
    private volatile ValidationParameterPair? parameters;

    public TokenVerifier(SigningKeyCache keys, IOptions<JwtOptions> options)
        : this(keys, options, TimeProvider.System)
    {
    }

    public TokenVerifier(SigningKeyCache keys, IOptions<JwtOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.keys = keys;
        this.time = time;
        this.options = options.Value;
        allowedAlgorithms = new HashSet<string>(this.options.AllowedAlgorithmList, StringComparer.Ordinal);
    }

    /// <summary>Verifies the token in an Authorization header value ("Bearer &lt;token&gt;").</summary>
    public Task<TokenVerification> VerifyAuthorizationAsync(string? authorizationHeader, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(authorizationHeader))
        {
            return Task.FromResult<TokenVerification>(new TokenVerification.Rejected(TokenRejectionReason.MissingToken,
                "The request has no Authorization header. Send 'Authorization: Bearer <access token>'."));
        }

        // Sliced, not copied: the token is parsed straight out of the header value.
        var header = authorizationHeader.AsMemory().Trim();
        var space = header.Span.IndexOf(' ');
        var scheme = space < 0 ? header : header[..space];
        if (!scheme.Span.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult<TokenVerification>(new TokenVerification.Rejected(TokenRejectionReason.WrongScheme,
                "The Authorization header does not use the Bearer scheme. Send 'Authorization: Bearer <access token>'."));
        }

        return VerifyCoreAsync(space < 0 ? ReadOnlyMemory<char>.Empty : header[(space + 1)..].Trim(), cancellationToken);
    }

    /// <summary>Verifies a compact JWS token.</summary>
    public Task<TokenVerification> VerifyTokenAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        return VerifyCoreAsync(token.AsMemory(), cancellationToken);
    }

    private async Task<TokenVerification> VerifyCoreAsync(ReadOnlyMemory<char> token, CancellationToken cancellationToken)
    {
        if (token.Length == 0)
        {
            return Reject(TokenRejectionReason.Malformed, "The Bearer scheme is followed by no token.");
        }

        if (token.Length > MaxTokenLength)
        {
            return Reject(TokenRejectionReason.Malformed, $"The token is longer than {MaxTokenLength} characters.");
        }

        JsonWebToken jwt;
        try
        {
            jwt = handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException or JsonException or FormatException)
        {
            return Reject(TokenRejectionReason.Malformed, "The token is not a well-formed JWT (three base64url parts: header.payload.signature).");
        }

        if (jwt.IsEncrypted)
        {
            return Reject(TokenRejectionReason.Malformed, "The token is encrypted (JWE); this API accepts signed tokens (JWS) only.");
        }

        // Checked before any key is looked up, so that unsigned or HMAC tokens can never reach a key or cause a refresh.
        if (!allowedAlgorithms.Contains(jwt.Alg))
        {
            return Reject(TokenRejectionReason.AlgorithmNotAllowed, DescribeAlgorithm(jwt.Alg));
        }

        // Header rules need no key either: refused before any lookup, so they cannot cause a fetch.
        var headerProblem = CheckHeader(jwt);
        if (headerProblem is not null)
        {
            return headerProblem;
        }

        // A token for another issuer cannot be fixed by fetching our issuer's keys again: refuse it before that.
        if (!string.Equals(jwt.Issuer, options.Issuer, StringComparison.Ordinal))
        {
            return Reject(TokenRejectionReason.WrongIssuer, WrongIssuerDescription);
        }

        var keySet = await keys.GetAsync(cancellationToken);
        if (keySet is null)
        {
            return KeysUnavailable;
        }

        var keyId = jwt.Kid;
        if (!string.IsNullOrEmpty(keyId) && !keySet.Contains(keyId))
        {
            keySet = await keys.RefreshForUnknownKeyAsync(cancellationToken);
            if (keySet is null)
            {
                return KeysUnavailable;
            }

            if (!keySet.Contains(keyId))
            {
                return Reject(TokenRejectionReason.UnknownSigningKey,
                    "The token is signed with a key (its 'kid' header) that the issuer does not publish. Get a new token from the issuer.");
            }
        }

        var result = await handler.ValidateTokenAsync(jwt, ParametersFor(keySet, hasKeyId: !string.IsNullOrEmpty(keyId)));
        if (!result.IsValid)
        {
            return Describe(result.Exception, jwt);
        }

        var subject = jwt.Subject;
        var lifetimeProblem = CheckLifetime(jwt, subject);
        if (lifetimeProblem is not null)
        {
            return lifetimeProblem;
        }

        if (string.IsNullOrWhiteSpace(subject))
        {
            return Reject(TokenRejectionReason.MissingSubject,
                "The token has no 'sub' claim; this API needs the caller's subject to know whose data the request is about.");
        }

        return new TokenVerification.Verified(new CallerPrincipal(subject, ReadScopes(jwt), string.IsNullOrEmpty(jwt.Id) ? null : jwt.Id));
    }

    /// <summary>The parameters used for a token with a <c>kid</c>; exposed so a benchmark can compare with the bare handler.</summary>
    public TokenValidationParameters CreateValidationParameters(SigningKeySet keySet, bool hasKeyId)
    {
        ArgumentNullException.ThrowIfNull(keySet);
        return new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ClockSkew = options.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            RequireAudience = true,
            ValidAlgorithms = [.. allowedAlgorithms],
            IssuerSigningKeys = keySet.Keys,
            // With a kid, only that key may verify the token; without one (single-key issuers) every key is tried.
            TryAllIssuerSigningKeys = !hasKeyId,
        };
    }

    internal static IReadOnlyList<string> ReadScopes(JsonWebToken jwt)
    {
        // Read the stored claim as it is: asking the token for another type makes it convert through JSON.
        var claim = jwt.TryGetPayloadValue<object>("scope", out var scope) && scope is not null ? scope
            : jwt.TryGetPayloadValue<object>("scp", out var scp) ? scp
            : null;
        return claim switch
        {
            string text => text.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            IEnumerable<object> values => [.. values.SelectMany(v => (v?.ToString() ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))],
            JsonElement { ValueKind: JsonValueKind.Array } array =>
                [.. array.EnumerateArray().SelectMany(v => (v.GetString() ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))],
            _ => [],
        };
    }

    /// <summary>
    /// RFC 7515 section 4.1.11: a recipient must refuse a token whose <c>crit</c> names an extension it does not
    /// understand. This API understands none, so any <c>crit</c> is refused (the JWT library ignores it).
    /// RFC 8725 section 3.11: <c>typ</c>, when present, must say this is a JWT access token.
    /// </summary>
    private TokenVerification.Rejected? CheckHeader(JsonWebToken jwt)
    {
        JsonElement typ = default;
        var hasCrit = false;
        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedHeader));
            hasCrit = header.RootElement.TryGetProperty("crit", out _);
            if (header.RootElement.TryGetProperty("typ", out var value))
            {
                typ = value.Clone();
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return Reject(TokenRejectionReason.Malformed, "The token is not a well-formed JWT (three base64url parts: header.payload.signature).");
        }

        if (hasCrit)
        {
            return Reject(TokenRejectionReason.UnsupportedCriticalHeader,
                "The token's 'crit' header names extensions this API does not understand, so it must be refused (RFC 7515 section 4.1.11). " +
                "Request a token without 'crit'.");
        }

        if (typ.ValueKind == JsonValueKind.Undefined)
        {
            return options.RequireTokenType
                ? Reject(TokenRejectionReason.WrongTokenType, "The token has no 'typ' header; this API requires 'at+jwt' or 'JWT' (RFC 9068).")
                : null;
        }

        return typ.ValueKind == JsonValueKind.String && IsAcceptedTokenType(typ.GetString()!)
            ? null
            : Reject(TokenRejectionReason.WrongTokenType, "The token's 'typ' header is not 'at+jwt' or 'JWT', so it is not an access token for this API (RFC 8725 section 3.11).");
    }

    /// <summary>RFC 7515 section 4.1.9: compared case-insensitively, with the "application/" prefix optional.</summary>
    internal static bool IsAcceptedTokenType(string typ)
    {
        var type = typ.StartsWith("application/", StringComparison.OrdinalIgnoreCase) ? typ["application/".Length..] : typ;
        return type.Equals("JWT", StringComparison.OrdinalIgnoreCase) || type.Equals("at+jwt", StringComparison.OrdinalIgnoreCase);
    }

    private TokenVerification.Rejected? CheckLifetime(JsonWebToken jwt, string? subject)
    {
        // exp is present (RequireExpirationTime); without iat the lifetime left from now is what a thief would get.
        var start = jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Iat, out _) ? jwt.IssuedAt : time.GetUtcNow().UtcDateTime;
        var lifetime = jwt.ValidTo - start;
        if (lifetime <= options.MaxTokenLifetime)
        {
            return null;
        }

        return Reject(TokenRejectionReason.LifetimeTooLong,
            string.Create(CultureInfo.InvariantCulture,
                $"The token is valid for longer than this API accepts ('exp' minus 'iat', or minus now without 'iat', must be at most {options.MaxTokenLifetime.TotalHours:0.##} h). Request a shorter-lived token."),
            string.IsNullOrWhiteSpace(subject) ? null : subject);
    }

    private TokenValidationParameters ParametersFor(SigningKeySet keySet, bool hasKeyId)
    {
        var pair = parameters;
        if (pair is null || !ReferenceEquals(pair.Keys, keySet))
        {
            pair = new ValidationParameterPair(keySet, CreateValidationParameters(keySet, true), CreateValidationParameters(keySet, false));
            parameters = pair;
        }

        return hasKeyId ? pair.WithKeyId : pair.WithoutKeyId;
    }

    private TokenVerification.Rejected Describe(Exception? exception, JsonWebToken jwt)
    {
        // The signature has been checked before lifetime and audience, so for these the subject is genuine.
        var subject = string.IsNullOrWhiteSpace(jwt.Subject) ? null : jwt.Subject;
        return exception switch
        {
            SecurityTokenExpiredException expired => Reject(TokenRejectionReason.Expired,
                string.Create(CultureInfo.InvariantCulture, $"The token expired at {expired.Expires:yyyy-MM-ddTHH:mm:ssZ} (clock skew allowed: {options.ClockSkewSeconds} s). Get a new token."),
                subject),
            SecurityTokenNotYetValidException notYet => Reject(TokenRejectionReason.NotYetValid,
                string.Create(CultureInfo.InvariantCulture, $"The token is not valid before {notYet.NotBefore:yyyy-MM-ddTHH:mm:ssZ} (its 'nbf'; clock skew allowed: {options.ClockSkewSeconds} s)."),
                subject),
            SecurityTokenNoExpirationException => Reject(TokenRejectionReason.MissingExpiration,
                "The token has no 'exp' claim; this API accepts only tokens that expire."),
            SecurityTokenInvalidLifetimeException => Reject(TokenRejectionReason.Invalid,
                "The token's lifetime is invalid ('nbf' is after 'exp')."),
            SecurityTokenInvalidAudienceException => Reject(TokenRejectionReason.WrongAudience,
                "The token is not meant for this API: its audience ('aud') is not the one this API accepts. Request a token for this API.",
                subject),
            SecurityTokenInvalidIssuerException => Reject(TokenRejectionReason.WrongIssuer, WrongIssuerDescription),
            SecurityTokenInvalidAlgorithmException => Reject(TokenRejectionReason.AlgorithmNotAllowed, DescribeAlgorithm(jwt.Alg)),
            SecurityTokenSignatureKeyNotFoundException => Reject(TokenRejectionReason.UnknownSigningKey,
                "No key the issuer publishes matches the token's signature. Get a new token from the issuer."),
            SecurityTokenInvalidSignatureException => Reject(TokenRejectionReason.BadSignature,
                "The token's signature does not match its content: it was altered or not signed by the issuer."),
            SecurityTokenMalformedException => Reject(TokenRejectionReason.Malformed,
                "The token is not a well-formed JWT (three base64url parts: header.payload.signature)."),
            _ => Reject(TokenRejectionReason.Invalid, "The token could not be validated."),
        };
    }

    // The trusted issuer and audience are not repeated: an anonymous caller learns nothing about the configuration.
    private const string WrongIssuerDescription = "The token was not issued by the issuer this API trusts (its 'iss' claim).";

    private string DescribeAlgorithm(string? algorithm)
    {
        var allowed = string.Join(", ", allowedAlgorithms);
        if (string.IsNullOrEmpty(algorithm) || algorithm.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return $"The token is not signed ('alg' is none or missing). Accepted algorithms: {allowed}.";
        }

        // Only a short, plain algorithm name is repeated back; anything else in the header is the caller's text.
        var named = algorithm.Length <= 10 && algorithm.All(char.IsAsciiLetterOrDigit) ? $"'{algorithm}'" : "an algorithm";
        return $"The token is signed with {named}, which this API does not accept. Accepted algorithms: {allowed}.";
    }

    private static TokenVerification.KeysUnavailable KeysUnavailable { get; } = new(
        "The issuer's signing keys cannot be loaded right now, so no token can be checked. Retry shortly.");

    private static TokenVerification.Rejected Reject(TokenRejectionReason reason, string description, string? subject = null) =>
        new(reason, description, subject);

    private sealed record ValidationParameterPair(SigningKeySet Keys, TokenValidationParameters WithKeyId, TokenValidationParameters WithoutKeyId);
}
