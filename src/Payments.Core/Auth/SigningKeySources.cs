using System.Net.Http.Headers;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Payments.Core.Auth;

/// <summary>Where the issuer's public keys come from. Called only by <see cref="SigningKeyCache"/>.</summary>
public interface ISigningKeySource
{
    /// <summary>A short description for logs, e.g. "JWKS https://issuer/keys".</summary>
    string Description { get; }

    /// <summary>Fetches the current keys. Throws when the source cannot be read or does not hold a key set.</summary>
    Task<IEnumerable<SecurityKey>> FetchAsync(CancellationToken cancellationToken);
}

/// <summary>Keys from the issuer's OpenID Connect discovery document (its <c>jwks_uri</c>).</summary>
public sealed class OpenIdConnectKeySource : ISigningKeySource
{
    private readonly string metadataAddress;
    private readonly bool requireHttps;
    private readonly Func<HttpClient> httpClient;

    /// <param name="authority">The issuer's base URL, or the full discovery document URL.</param>
    /// <param name="httpClient">
    /// Gives the client for one fetch: a client from IHttpClientFactory is meant to be short-lived, so that its
    /// handler (and the DNS answers it holds) gets renewed.
    /// </param>
    public OpenIdConnectKeySource(Uri authority, Func<HttpClient> httpClient)
    {
        ArgumentNullException.ThrowIfNull(authority);
        var address = authority.AbsoluteUri;
        metadataAddress = address.EndsWith("/.well-known/openid-configuration", StringComparison.OrdinalIgnoreCase)
            ? address
            : address.TrimEnd('/') + "/.well-known/openid-configuration";
        // Plain http only reaches this point for loopback addresses (JwtOptionsValidator refuses it elsewhere).
        requireHttps = !authority.IsLoopback;
        this.httpClient = httpClient;
    }

    public string Description => "OpenID Connect discovery " + metadataAddress;

    public async Task<IEnumerable<SecurityKey>> FetchAsync(CancellationToken cancellationToken)
    {
        var retriever = new HttpDocumentRetriever(httpClient()) { RequireHttps = requireHttps };
        var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(metadataAddress, retriever, cancellationToken);
        return configuration.JsonWebKeySet?.Keys ?? (IEnumerable<SecurityKey>)configuration.SigningKeys;
    }
}

/// <summary>Keys from a JWKS URL. <paramref name="httpClient"/> gives the client for one fetch (see <see cref="OpenIdConnectKeySource"/>).</summary>
public sealed class JwksUriKeySource(Uri jwksUri, Func<HttpClient> httpClient) : ISigningKeySource
{
    public string Description => "JWKS " + jwksUri.AbsoluteUri;

    public async Task<IEnumerable<SecurityKey>> FetchAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, jwksUri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await httpClient().SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        return new JsonWebKeySet(json).Keys;
    }
}

/// <summary>Keys from a local JWKS file: the development key written by Payments.DevTokens.</summary>
public sealed class JwksFileKeySource(string path) : ISigningKeySource
{
    public string Path { get; } = path;

    public string Description => "JWKS file " + Path;

    public async Task<IEnumerable<SecurityKey>> FetchAsync(CancellationToken cancellationToken)
    {
        var json = await File.ReadAllTextAsync(Path, cancellationToken);
        return new JsonWebKeySet(json).Keys;
    }

    /// <summary>
    /// An absolute path is used as is. A relative one is looked up under <paramref name="baseDirectory"/> and then
    /// under each of its parents, nearest first; the first existing file wins. When none exists the path under
    /// <paramref name="baseDirectory"/> is returned, so the error names the place looked at first.
    /// </summary>
    public static string ResolvePath(string configuredPath, string baseDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuredPath);
        if (System.IO.Path.IsPathRooted(configuredPath))
        {
            return System.IO.Path.GetFullPath(configuredPath);
        }

        for (var directory = new DirectoryInfo(baseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory.FullName, configuredPath));
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDirectory, configuredPath));
    }
}
