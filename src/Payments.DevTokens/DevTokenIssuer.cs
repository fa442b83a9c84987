using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Payments.DevTokens;

/// <summary>
/// A development issuer: an RSA key kept in a git-ignored folder (created on first use), its public half published as
/// a JWKS file the app reads through Jwt:SigningKeysPath, and tokens signed with it.
/// </summary>
internal sealed class DevTokenIssuer : IDisposable
{
    public const string DefaultIssuer = "https://payments.local/dev";
    public const string DefaultAudience = "api://payments";
    public const string PrivateKeyFileName = "signing-key.pem";
    public const string JwksFileName = "jwks.json";

    private readonly RSA rsa;

    private DevTokenIssuer(RSA rsa, string keyId, string keysDirectory, bool created)
    {
        this.rsa = rsa;
        KeyId = keyId;
        KeysDirectory = keysDirectory;
        Created = created;
    }

    public string KeyId { get; }

    public string KeysDirectory { get; }

    /// <summary>True when this run generated the key.</summary>
    public bool Created { get; }

    public string JwksPath => Path.Combine(KeysDirectory, JwksFileName);

    /// <summary>Loads the key from <paramref name="keysDirectory"/>, generating it (and the JWKS) on first use.</summary>
    public static DevTokenIssuer LoadOrCreate(string keysDirectory)
    {
        Directory.CreateDirectory(keysDirectory);
        var keyPath = Path.Combine(keysDirectory, PrivateKeyFileName);
        RSA rsa;
        var created = !File.Exists(keyPath);
        if (created)
        {
            rsa = RSA.Create(2048);
            WritePrivate(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        }
        else
        {
            rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(keyPath));
        }

        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)));
        // RFC 7638 thumbprint: the same key always gets the same kid, a new key a new one.
        var keyId = Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint());
        var issuer = new DevTokenIssuer(rsa, keyId, keysDirectory, created);
        var jwks = JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "RSA", use = "sig", alg = SecurityAlgorithms.RsaSha256, kid = keyId, n = publicJwk.N, e = publicJwk.E } },
        });
        File.WriteAllText(issuer.JwksPath, jwks + Environment.NewLine);
        return issuer;
    }

    public string Mint(string subject, string scope, TimeSpan lifetime, string issuer = DefaultIssuer, string audience = DefaultAudience)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["scope"] = scope,
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The repository root (the folder holding Functions.sln) at or above <paramref name="start"/>, else <paramref name="start"/>.</summary>
    public static string FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
            {
                return directory.FullName;
            }
        }

        return start;
    }

    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    public void Dispose() => rsa.Dispose();
}
