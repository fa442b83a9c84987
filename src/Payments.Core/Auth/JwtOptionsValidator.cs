using System.Globalization;
using Microsoft.Extensions.Options;

namespace Payments.Core.Auth;

/// <summary>Refuses to start on missing, contradictory or unsafe token settings, saying which setting to fix.</summary>
public sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    /// <summary>Asymmetric JWS algorithms: only these may be allowed, so a public key can never serve as an HMAC secret.</summary>
    public static readonly IReadOnlySet<string> AsymmetricAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    public const int MaxClockSkewSeconds = 300;

    /// <summary>The upper bound of <see cref="JwtOptions.MaxTokenLifetime"/>: a week is already generous for an access token.</summary>
    public static readonly TimeSpan MaxTokenLifetimeLimit = TimeSpan.FromDays(7);

    /// <summary>The upper bound of <see cref="JwtOptions.MaxKeyStaleness"/>: a revoked key must stop working within a day.</summary>
    public static readonly TimeSpan MaxKeyStalenessLimit = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add("Jwt:Issuer is missing. Set it to the exact 'iss' value of the tokens to accept (for local development: https://payments.local/dev).");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Jwt:Audience is missing. Set it to the 'aud' value tokens for this API carry (for local development: api://payments).");
        }

        if (options.ClockSkewSeconds is < 0 or > MaxClockSkewSeconds)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"Jwt:ClockSkewSeconds is {options.ClockSkewSeconds}; it must be between 0 and {MaxClockSkewSeconds} (default 30)."));
        }

        ValidateKeySource(options, failures);
        ValidateAlgorithms(options, failures);

        if (options.KeyRefreshInterval < TimeSpan.FromMinutes(1) || options.KeyRefreshInterval > TimeSpan.FromDays(1))
        {
            failures.Add("Jwt:KeyRefreshInterval must be between 00:01:00 and 1.00:00:00 (default 01:00:00).");
        }

        if (options.UnknownKeyRefreshInterval < TimeSpan.FromSeconds(1) || options.UnknownKeyRefreshInterval > options.KeyRefreshInterval)
        {
            failures.Add("Jwt:UnknownKeyRefreshInterval must be at least 00:00:01 and at most Jwt:KeyRefreshInterval (default 00:00:30).");
        }

        if (options.MaxTokenLifetime < TimeSpan.FromMinutes(1) || options.MaxTokenLifetime > MaxTokenLifetimeLimit)
        {
            failures.Add("Jwt:MaxTokenLifetime must be between 00:01:00 and 7.00:00:00 (default 1.00:00:00).");
        }

        if (options.MaxKeyStaleness < options.KeyRefreshInterval || options.MaxKeyStaleness > MaxKeyStalenessLimit)
        {
            failures.Add("Jwt:MaxKeyStaleness must be at least Jwt:KeyRefreshInterval and at most 1.00:00:00 (default 06:00:00): " +
                "it is how long keys are trusted while every fetch fails.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateKeySource(JwtOptions options, List<string> failures)
    {
        var configured = new List<string>(3);
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            configured.Add("Jwt:Authority");
            ValidateUrl("Jwt:Authority", options.Authority, failures);
        }

        if (!string.IsNullOrWhiteSpace(options.JwksUri))
        {
            configured.Add("Jwt:JwksUri");
            ValidateUrl("Jwt:JwksUri", options.JwksUri, failures);
        }

        if (!string.IsNullOrWhiteSpace(options.SigningKeysPath))
        {
            configured.Add("Jwt:SigningKeysPath");
        }

        if (configured.Count == 0)
        {
            failures.Add("No signing key source is set. Set exactly one of Jwt:Authority (the issuer's OpenID Connect base URL), " +
                "Jwt:JwksUri (a JWKS URL) or Jwt:SigningKeysPath (a local JWKS file, for development: " +
                "run 'dotnet run --project src/Payments.DevTokens' once and use .devkeys/jwks.json).");
        }
        else if (configured.Count > 1)
        {
            failures.Add($"Signing key sources contradict each other: {string.Join(", ", configured)} are all set. Keep exactly one.");
        }
    }

    private static void ValidateUrl(string setting, string value, List<string> failures)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{setting} must be an absolute https URL.");
        }
        else if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            failures.Add($"{setting} uses plain http on a host that is not loopback; keys fetched that way could be replaced in transit. Use https.");
        }
    }

    private static void ValidateAlgorithms(JwtOptions options, List<string> failures)
    {
        var algorithms = options.AllowedAlgorithmList;
        if (algorithms.Count == 0)
        {
            failures.Add($"Jwt:AllowedAlgorithms is empty. List one or more of: {string.Join(' ', AsymmetricAlgorithms)} (default '{JwtOptions.DefaultAllowedAlgorithms}').");
            return;
        }

        foreach (var algorithm in algorithms)
        {
            if (algorithm.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add("Jwt:AllowedAlgorithms contains 'none': unsigned tokens can never be accepted. Remove it.");
            }
            else if (algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"Jwt:AllowedAlgorithms contains '{algorithm}', a shared-secret (HMAC) algorithm: it would let anyone holding a " +
                    "public key forge tokens. Only asymmetric algorithms are accepted.");
            }
            else if (!AsymmetricAlgorithms.Contains(algorithm))
            {
                failures.Add($"Jwt:AllowedAlgorithms contains '{algorithm}', which is not a supported asymmetric algorithm. Use: {string.Join(' ', AsymmetricAlgorithms)}.");
            }
        }
    }
}
