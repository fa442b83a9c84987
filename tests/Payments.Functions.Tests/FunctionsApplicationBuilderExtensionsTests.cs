using Idempotency.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Payments.Core.Auth;
using Payments.Functions.Middleware;

namespace Payments.Functions.Tests;

public sealed class FunctionsApplicationBuilderExtensionsTests
{
    private static Dictionary<string, string?> Settings(bool withJwt)
    {
        var settings = new Dictionary<string, string?> { ["PaymentsStorage"] = "UseDevelopmentStorage=true" };
        if (withJwt)
        {
            settings["Jwt:Issuer"] = "https://payments.local/dev";
            settings["Jwt:Audience"] = "api://payments";
            settings["Jwt:SigningKeysPath"] = ".devkeys/jwks.json";
        }

        return settings;
    }

    [Fact]
    public void AddPaymentsFunctions_WhenJwtIsConfigured_ShouldComposeTheAuthenticationMiddleware()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(Settings(withJwt: true));
        builder.AddPaymentsFunctions();
        using var host = builder.Build();

        Assert.NotNull(host.Services.GetRequiredService<AuthenticationMiddleware>());
        Assert.IsType<JwksFileKeySource>(host.Services.GetRequiredService<ISigningKeySource>());
    }

    [Fact]
    public void AddPaymentsFunctions_WhenJwtIsMissing_ShouldRefuseWithTheSettingToFix()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(Settings(withJwt: false));
        builder.AddPaymentsFunctions();
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<JwtOptions>>().Value);

        Assert.Contains("Jwt:Issuer is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPaymentsFunctions_WhenStarted_ShouldKeepEachIdempotentFunctionsRecordsBesideItsResource()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(Settings(withJwt: true));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:PaymentsTable"] = "pays", ["Storage:CustomersTable"] = "custs" });
        builder.AddPaymentsFunctions();
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<IdempotentFunctionsOptions>>().Value;

        Assert.Equal(new Dictionary<string, string> { ["CreatePayment"] = "pays", ["CreateCustomer"] = "custs" }, options.RecordTables);
    }
}
