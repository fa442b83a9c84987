using Microsoft.IdentityModel.Tokens;

namespace Payments.Core.Auth;

/// <summary>
/// One immutable snapshot of the issuer's public keys. Only asymmetric keys get in: a symmetric ("oct") key in a
/// published set, or a public key reinterpreted as an HMAC secret, can never verify a token.
/// </summary>
public sealed class SigningKeySet
{
    private readonly HashSet<string> keyIds;

    private SigningKeySet(IReadOnlyList<SecurityKey> keys, int ignored, DateTimeOffset fetchedAt)
    {
        Keys = keys;
        IgnoredKeyCount = ignored;
        FetchedAt = fetchedAt;
        keyIds = new HashSet<string>(keys.Where(k => !string.IsNullOrEmpty(k.KeyId)).Select(k => k.KeyId), StringComparer.Ordinal);
    }

    public IReadOnlyList<SecurityKey> Keys { get; }

    /// <summary>Keys the source published that were dropped because they are not asymmetric signing keys.</summary>
    public int IgnoredKeyCount { get; }

    public DateTimeOffset FetchedAt { get; }

    public bool Contains(string keyId) => keyIds.Contains(keyId);

    public static SigningKeySet Create(IEnumerable<SecurityKey> keys, DateTimeOffset fetchedAt)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var accepted = new List<SecurityKey>();
        var ignored = 0;
        foreach (var key in keys)
        {
            if (IsAsymmetricSigningKey(key))
            {
                accepted.Add(key);
            }
            else
            {
                ignored++;
            }
        }

        return new SigningKeySet(accepted, ignored, fetchedAt);
    }

    /// <summary>Reads a JSON Web Key Set document (RFC 7517) and keeps its asymmetric signing keys.</summary>
    public static SigningKeySet FromJwks(string json, DateTimeOffset fetchedAt)
    {
        return Create(new JsonWebKeySet(json).Keys, fetchedAt);
    }

    private static bool IsAsymmetricSigningKey(SecurityKey key) => key switch
    {
        // Keys marked for encryption ("use": "enc") are not for verifying signatures.
        JsonWebKey jwk => jwk.Kty is JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve
            && (string.IsNullOrEmpty(jwk.Use) || jwk.Use == JsonWebKeyUseNames.Sig)
            && (string.IsNullOrEmpty(jwk.Alg) || JwtOptionsValidator.AsymmetricAlgorithms.Contains(jwk.Alg)),
        RsaSecurityKey or ECDsaSecurityKey or X509SecurityKey => true,
        _ => false,
    };
}
