using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Payments.Core.Auth;

namespace Payments.Core.Tests.Auth;

public sealed class JwtOptionsValidatorTests
{
    private static JwtOptions Valid() => new()
    {
        Issuer = "https://payments.local/dev",
        Audience = "api://payments",
        SigningKeysPath = ".devkeys/jwks.json",
    };

    private static string Failure(JwtOptions options)
    {
        var result = new JwtOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        return result.FailureMessage;
    }

    [Fact]
    public void Validate_WhenSettingsAreComplete_ShouldSucceed()
    {
        Assert.True(new JwtOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void Validate_WhenIssuerAndAudienceAreMissing_ShouldNameBoth()
    {
        var options = Valid();
        options.Issuer = null;
        options.Audience = " ";

        var message = Failure(options);

        Assert.Contains("Jwt:Issuer is missing", message, StringComparison.Ordinal);
        Assert.Contains("Jwt:Audience is missing", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("8.00:00:00")]
    public void Validate_WhenMaxTokenLifetimeIsOutOfBounds_ShouldSaySo(string lifetime)
    {
        var options = Valid();
        options.MaxTokenLifetime = TimeSpan.Parse(lifetime, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Contains("Jwt:MaxTokenLifetime must be between", Failure(options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:30:00")]
    [InlineData("1.00:00:01")]
    public void Validate_WhenMaxKeyStalenessIsBelowTheRefreshIntervalOrAboveADay_ShouldSaySo(string staleness)
    {
        var options = Valid();
        options.MaxKeyStaleness = TimeSpan.Parse(staleness, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Contains("Jwt:MaxKeyStaleness must be at least Jwt:KeyRefreshInterval", Failure(options), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenNoKeySourceIsSet_ShouldListTheThreeChoices()
    {
        var options = Valid();
        options.SigningKeysPath = null;

        var message = Failure(options);

        Assert.Contains("Jwt:Authority", message, StringComparison.Ordinal);
        Assert.Contains("Jwt:JwksUri", message, StringComparison.Ordinal);
        Assert.Contains("Jwt:SigningKeysPath", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenTwoKeySourcesAreSet_ShouldCallThemContradictory()
    {
        var options = Valid();
        options.JwksUri = "https://issuer.example/keys";

        var message = Failure(options);

        Assert.Contains("contradict", message, StringComparison.Ordinal);
        Assert.Contains("Jwt:JwksUri, Jwt:SigningKeysPath", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://issuer.example/")]
    [InlineData("http://10.0.0.5/")]
    public void Validate_WhenAuthorityIsPlainHttpOffLoopback_ShouldRefuse(string authority)
    {
        var options = Valid();
        options.SigningKeysPath = null;
        options.Authority = authority;

        Assert.Contains("plain http", Failure(options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5001/keys")]
    [InlineData("http://localhost:5001/keys")]
    [InlineData("https://issuer.example/keys")]
    public void Validate_WhenJwksUriIsHttpsOrLoopback_ShouldSucceed(string uri)
    {
        var options = Valid();
        options.SigningKeysPath = null;
        options.JwksUri = uri;

        Assert.True(new JwtOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_WhenJwksUriIsNotAUrl_ShouldRefuse()
    {
        var options = Valid();
        options.SigningKeysPath = null;
        options.JwksUri = "keys.json";

        Assert.Contains("absolute https URL", Failure(options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RS256 HS256", "shared-secret (HMAC)")]
    [InlineData("none", "unsigned tokens")]
    [InlineData("RS256,XY999", "not a supported asymmetric algorithm")]
    [InlineData(" ", "is empty")]
    public void Validate_WhenAllowListIsUnsafeOrUnknown_ShouldRefuse(string algorithms, string expected)
    {
        var options = Valid();
        options.AllowedAlgorithms = algorithms;

        Assert.Contains(expected, Failure(options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(301)]
    public void Validate_WhenClockSkewIsOutOfRange_ShouldRefuse(int seconds)
    {
        var options = Valid();
        options.ClockSkewSeconds = seconds;

        Assert.Contains("Jwt:ClockSkewSeconds", Failure(options), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WhenUnknownKeyIntervalExceedsRefreshInterval_ShouldRefuse()
    {
        var options = Valid();
        options.UnknownKeyRefreshInterval = TimeSpan.FromHours(2);

        Assert.Contains("Jwt:UnknownKeyRefreshInterval", Failure(options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WhenJwtSectionIsMissing_ShouldRefuseToStartWithTheReason()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddJwtAuthentication(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(CancellationToken.None));

        Assert.Contains("Jwt:Issuer is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddJwtAuthentication_WhenBoundFromFlatSettings_ShouldReadEveryValue()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Jwt:Issuer"] = "https://payments.local/dev",
            ["Jwt:Audience"] = "api://payments",
            ["Jwt:SigningKeysPath"] = ".devkeys/jwks.json",
            ["Jwt:ClockSkewSeconds"] = "10",
            ["Jwt:AllowedAlgorithms"] = "ES256",
            ["Jwt:KeyRefreshInterval"] = "00:10:00",
            ["Jwt:UnknownKeyRefreshInterval"] = "00:00:05",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddJwtAuthentication(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<JwtOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(10), options.ClockSkew);
        Assert.Equal(["ES256"], options.AllowedAlgorithmList);
        Assert.Equal(TimeSpan.FromMinutes(10), options.KeyRefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.UnknownKeyRefreshInterval);
        Assert.IsType<JwksFileKeySource>(provider.GetRequiredService<ISigningKeySource>());
        Assert.NotNull(provider.GetRequiredService<TokenVerifier>());
    }
}
