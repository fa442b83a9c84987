using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Payments.LoadDriver;

/// <summary>A throw-away RSA issuer: the key lives only in this process; its public half is published as a JWKS file.</summary>
public sealed class Issuer : IDisposable
{
    public const string Name = "https://load-driver.local/";
    public const string Audience = "api://payments-load";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly string _directory = Directory.CreateTempSubdirectory("payments-load-keys").FullName;

    public Issuer()
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = "load-" + Guid.NewGuid().ToString("N")[..8] };
        var parameters = _rsa.ExportParameters(includePrivateParameters: false);
        var jwks = JsonSerializer.Serialize(new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", alg = "RS256", kid = _key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
            },
        });
        File.WriteAllText(JwksPath, jwks);
    }

    public string JwksPath => Path.Combine(_directory, "jwks.json");

    public string Token(string subject, string scope = "payments:read payments:write", TimeSpan? lifetime = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Name,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("scope", scope)]),
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now.AddMinutes(-1),
            Expires = now.Add(lifetime ?? TimeSpan.FromHours(1)),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose()
    {
        _rsa.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
