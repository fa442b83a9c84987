using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Payments.Core.Auth;

public static class AuthenticationServiceCollectionExtensions
{
    public const string HttpClientName = "Payments.Jwt.Keys";

    /// <summary>A key document larger than this is refused: a JWKS holds a handful of keys.</summary>
    public const int MaxKeyDocumentBytes = 512 * 1024;

    /// <summary>
    /// Registers stateless bearer-token verification: options from the "Jwt" section (validated at start), the key
    /// source chosen by the settings, the key cache and <see cref="TokenVerifier"/>.
    /// </summary>
    public static IServiceCollection AddJwtAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<JwtOptions>()
            .Bind(configuration.GetSection(JwtOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpClientName, client =>
        {
            client.Timeout = SigningKeyCache.FetchTimeout;
            client.MaxResponseContentBufferSize = MaxKeyDocumentBytes;
        });

        services.TryAddSingleton<ISigningKeySource>(provider => CreateKeySource(
            provider.GetRequiredService<IOptions<JwtOptions>>().Value,
            () => provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            AppContext.BaseDirectory));
        services.TryAddSingleton(provider => new SigningKeyCache(
            provider.GetRequiredService<ISigningKeySource>(),
            provider.GetRequiredService<IOptions<JwtOptions>>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<SigningKeyCache>>()));
        services.TryAddSingleton(provider => new TokenVerifier(
            provider.GetRequiredService<SigningKeyCache>(),
            provider.GetRequiredService<IOptions<JwtOptions>>(),
            provider.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>The key source the (validated) options name; relative file paths resolve from <paramref name="baseDirectory"/>.</summary>
    public static ISigningKeySource CreateKeySource(JwtOptions options, Func<HttpClient> httpClient, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            return new OpenIdConnectKeySource(new Uri(options.Authority), httpClient);
        }

        if (!string.IsNullOrWhiteSpace(options.JwksUri))
        {
            return new JwksUriKeySource(new Uri(options.JwksUri), httpClient);
        }

        if (!string.IsNullOrWhiteSpace(options.SigningKeysPath))
        {
            return new JwksFileKeySource(JwksFileKeySource.ResolvePath(options.SigningKeysPath, baseDirectory));
        }

        throw new InvalidOperationException("No signing key source is configured; JwtOptionsValidator should have stopped the app at start.");
    }
}
