using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Payments.Functions.Telemetry;

namespace Payments.Functions.Tests.Telemetry;

public sealed class TelemetrySettingsTests
{
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";

    private static TelemetrySettings Read(params (string Key, string Value)[] values) =>
        TelemetrySettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());

    [Fact]
    public void Read_WhenNeitherOtlpNorAzureMonitorIsSet_ShouldExportNothing()
    {
        Assert.False(Read().ExportsAnything);
    }

    [Theory]
    [InlineData(TelemetrySettings.HttpProtobuf)]
    [InlineData(TelemetrySettings.Grpc)]
    public void Read_WhenOtlpEndpointAndAStandardProtocolAreSet_ShouldExportOverOtlp(string protocol)
    {
        var settings = Read((TelemetrySettings.OtlpEndpointSetting, "http://127.0.0.1:4318"), (TelemetrySettings.OtlpProtocolSetting, protocol));

        Assert.True(settings.ExportsAnything);
        Assert.Equal(new Uri("http://127.0.0.1:4318"), settings.OtlpEndpoint);
        Assert.Equal(protocol, settings.OtlpProtocol);
    }

    [Theory]
    [InlineData("localhost:4318")]
    [InlineData("ftp://collector:4318")]
    [InlineData("/v1/traces")]
    public void Read_WhenOtlpEndpointIsNotAnHttpUrl_ShouldRefuseNamingTheSetting(string endpoint)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((TelemetrySettings.OtlpEndpointSetting, endpoint)));

        Assert.Contains(TelemetrySettings.OtlpEndpointSetting, error.Message, StringComparison.Ordinal);
        Assert.Contains("absolute http or https URL", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http/json")]
    [InlineData("HTTP")]
    public void Read_WhenOtlpProtocolIsNotOneThisAppSpeaks_ShouldRefuseListingTheChoices(string protocol)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Read((TelemetrySettings.OtlpEndpointSetting, "http://127.0.0.1:4318"), (TelemetrySettings.OtlpProtocolSetting, protocol)));

        Assert.Contains("'grpc' or 'http/protobuf'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WhenAzureMonitorConnectionStringIsMalformed_ShouldRefuseWithoutRepeatingIt()
    {
        const string wrong = "Endpoint=https://secret-looking.example/;SharedAccessKey=abc123";

        var error = Assert.Throws<InvalidOperationException>(() => Read((TelemetrySettings.AzureMonitorSetting, wrong)));

        Assert.Contains(TelemetrySettings.AzureMonitorSetting, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("abc123", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WhenAuthenticationStringNamesAUserAssignedIdentity_ShouldSignInWithIt()
    {
        var settings = Read((TelemetrySettings.AzureMonitorSetting, ConnectionString),
            (TelemetrySettings.AzureMonitorAuthenticationSetting, "ClientId=3f2b5e1c-8a4d-4c7e-9b1a-2d6f0e8c4a11;Authorization=AAD"));

        Assert.True(settings.UseManagedIdentity);
        Assert.Equal("3f2b5e1c-8a4d-4c7e-9b1a-2d6f0e8c4a11", settings.ManagedIdentityClientId);
    }

    [Theory]
    [InlineData("ClientId=3f2b5e1c-8a4d-4c7e-9b1a-2d6f0e8c4a11")]
    [InlineData("Authorization=AAD;ClientId=not-a-guid")]
    [InlineData("Authorization=Key")]
    public void Read_WhenAuthenticationStringIsNotAzuresForm_ShouldRefuseNamingTheSetting(string authentication)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((TelemetrySettings.AzureMonitorSetting, ConnectionString),
            (TelemetrySettings.AzureMonitorAuthenticationSetting, authentication)));

        Assert.Contains(TelemetrySettings.AzureMonitorAuthenticationSetting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPaymentsFunctions_WhenNoExporterIsConfigured_ShouldStartNoOpenTelemetry()
    {
        using var host = Build();

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void AddPaymentsFunctions_WhenOtlpIsConfigured_ShouldStartTracingAndMetrics()
    {
        using var host = Build((TelemetrySettings.OtlpEndpointSetting, "http://127.0.0.1:1"), (TelemetrySettings.OtlpProtocolSetting, TelemetrySettings.Grpc));

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void AddPaymentsFunctions_WhenAzureMonitorIsConfiguredWithAnIdentity_ShouldStartTracingAndMetrics()
    {
        // Building the providers sends nothing: the exporter signs in when it first exports.
        using var host = Build((TelemetrySettings.AzureMonitorSetting, ConnectionString),
            (TelemetrySettings.AzureMonitorAuthenticationSetting, "ClientId=3f2b5e1c-8a4d-4c7e-9b1a-2d6f0e8c4a11;Authorization=AAD"));

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void AddPaymentsFunctions_WhenATelemetrySettingIsWrong_ShouldRefuseToStart()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PaymentsStorage"] = "UseDevelopmentStorage=true",
            [TelemetrySettings.OtlpProtocolSetting] = "http/json",
            [TelemetrySettings.OtlpEndpointSetting] = "http://127.0.0.1:4318",
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddPaymentsFunctions());

        Assert.Contains(TelemetrySettings.OtlpProtocolSetting, error.Message, StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Hosting.IHost Build(params (string Key, string Value)[] values)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        var settings = new Dictionary<string, string?>
        {
            ["PaymentsStorage"] = "UseDevelopmentStorage=true",
            ["Jwt:Issuer"] = "https://payments.local/dev",
            ["Jwt:Audience"] = "api://payments",
            ["Jwt:SigningKeysPath"] = ".devkeys/jwks.json",
        };
        foreach (var (key, value) in values)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPaymentsFunctions();
        return builder.Build();
    }
}
