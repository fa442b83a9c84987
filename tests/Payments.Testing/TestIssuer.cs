using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Payments.Testing;

/// <summary>A throw-away token issuer for tests: real keys, real signatures, and the hand-made bad tokens attackers send.</summary>
public sealed class TestIssuer : IDisposable
{
    public const string Issuer = "https://issuer.test/";
    public const string Audience = "api://payments-test";

    private readonly List<RSA> rsaKeys = [];
    private readonly List<ECDsa> ecKeys = [];

    public TestIssuer()
    {
        Rsa = NewRsaKey("rsa-1");
    }

    /// <summary>The issuer's main key.</summary>
    public RsaSecurityKey Rsa { get; }

    public RsaSecurityKey NewRsaKey(string keyId)
    {
        var rsa = RSA.Create(2048);
        rsaKeys.Add(rsa);
        return new RsaSecurityKey(rsa) { KeyId = keyId };
    }

    /// <summary>The main key under another <c>kid</c>: a cheap way to make tokens naming keys the issuer never published.</summary>
    public RsaSecurityKey AliasOfMainKey(string keyId) => new(Rsa.Rsa) { KeyId = keyId };

    public ECDsaSecurityKey NewEcKey(string keyId)
    {
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ecKeys.Add(ec);
        return new ECDsaSecurityKey(ec) { KeyId = keyId };
    }

    /// <summary>A JWKS document with the public halves of the keys.</summary>
    public static string Jwks(params SecurityKey[] keys)
    {
        var jwks = keys.Select(k => k switch
        {
            RsaSecurityKey rsa => PublicJwk(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.Rsa.ExportParameters(false)) { KeyId = rsa.KeyId })),
            ECDsaSecurityKey ec => PublicJwk(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ec.ECDsa.ExportParameters(false))) { KeyId = ec.KeyId })),
            SymmetricSecurityKey sym => new Dictionary<string, object?> { ["kty"] = "oct", ["kid"] = sym.KeyId, ["k"] = Base64UrlEncoder.Encode(sym.Key), ["alg"] = "HS256" },
            _ => throw new ArgumentException("unsupported key", nameof(keys)),
        });
        return JsonSerializer.Serialize(new { keys = jwks });
    }

    private static Dictionary<string, object?> PublicJwk(JsonWebKey jwk)
    {
        var result = new Dictionary<string, object?> { ["kty"] = jwk.Kty, ["kid"] = jwk.Kid, ["use"] = "sig" };
        if (jwk.Kty == "RSA")
        {
            result["n"] = jwk.N;
            result["e"] = jwk.E;
        }
        else
        {
            result["crv"] = jwk.Crv;
            result["x"] = jwk.X;
            result["y"] = jwk.Y;
        }

        return result;
    }

    public string Token(
        SecurityKey? key = null,
        string algorithm = SecurityAlgorithms.RsaSha256,
        string? subject = "merchant-1",
        string? scope = "payments:read payments:write",
        string issuer = Issuer,
        string audience = Audience,
        DateTime? notBefore = null,
        DateTime? expires = null,
        IDictionary<string, object>? claims = null,
        bool withExpiry = true)
    {
        var now = DateTime.UtcNow;
        var payload = new Dictionary<string, object>(claims ?? new Dictionary<string, object>());
        if (subject is not null)
        {
            payload["sub"] = subject;
        }

        if (scope is not null)
        {
            payload["scope"] = scope;
        }

        payload["jti"] = "token-" + Guid.NewGuid().ToString("N");
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = payload,
            NotBefore = notBefore ?? now.AddMinutes(-1),
            IssuedAt = (notBefore ?? now.AddMinutes(-1)),
            Expires = withExpiry ? expires ?? now.AddMinutes(10) : null,
            SigningCredentials = new SigningCredentials(key ?? Rsa, algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A token whose header says "none" and which has an empty signature.</summary>
    public static string UnsignedToken(string subject = "merchant-1")
    {
        var header = Encode(new { alg = "none", typ = "JWT" });
        return header + "." + Encode(Payload(subject)) + ".";
    }

    /// <summary>The classic confusion attack: HS256 with the issuer's public key (PEM text) as the HMAC secret.</summary>
    public string HmacWithPublicKeyToken()
    {
        var publicPem = Rsa.Rsa.ExportSubjectPublicKeyInfoPem();
        var signingInput = Encode(new { alg = "HS256", typ = "JWT", kid = Rsa.KeyId }) + "." + Encode(Payload("merchant-1"));
        var signature = HMACSHA256.HashData(Encoding.ASCII.GetBytes(publicPem), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>
    /// A token signed (RS256, main key) over exactly the header and payload given: for header fields the JWT library
    /// would not write (a missing <c>typ</c>, <c>crit</c>) and claims it would fill in.
    /// </summary>
    public string SignedRaw(IDictionary<string, object?> header, IDictionary<string, object?> payload)
    {
        var fullHeader = new Dictionary<string, object?>(header) { ["alg"] = "RS256", ["kid"] = Rsa.KeyId };
        var signingInput = Encode(fullHeader) + "." + Encode(payload);
        var signature = Rsa.Rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>A valid payload for <see cref="SignedRaw"/>: issued now (with <c>iat</c> unless told otherwise), valid for <paramref name="lifetime"/>.</summary>
    public static Dictionary<string, object?> RawPayload(TimeSpan lifetime, bool withIssuedAt = true, string subject = "merchant-1")
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object?>
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = subject,
            ["scope"] = "payments:read payments:write",
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = now.Add(lifetime).ToUnixTimeSeconds(),
        };
        if (withIssuedAt)
        {
            payload["iat"] = now.ToUnixTimeSeconds();
        }

        return payload;
    }

    /// <summary>Replaces the payload of a signed token and keeps its signature.</summary>
    public static string Tamper(string token, string newSubject)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        var changed = payload.ToDictionary(p => p.Key, p => (object)p.Value);
        changed["sub"] = newSubject;
        return parts[0] + "." + Encode(changed) + "." + parts[2];
    }

    private static Dictionary<string, object> Payload(string subject)
    {
        var now = DateTimeOffset.UtcNow;
        return new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = subject,
            ["scope"] = "payments:read payments:write",
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(10).ToUnixTimeSeconds(),
        };
    }

    private static string Encode(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));

    public void Dispose()
    {
        foreach (var rsa in rsaKeys)
        {
            rsa.Dispose();
        }

        foreach (var ec in ecKeys)
        {
            ec.Dispose();
        }
    }
}
