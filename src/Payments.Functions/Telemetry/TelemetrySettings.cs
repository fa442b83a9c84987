using Microsoft.Extensions.Configuration;

namespace Payments.Functions.Telemetry;

/// <summary>
/// Where telemetry goes, read from the standard variables and checked when the app starts: OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c> <c>grpc</c> or <c>http/protobuf</c>),
/// Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (with the managed identity named by
/// <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>, as Azure's host reads it), nothing when neither is. Values are never
/// repeated in an error: a connection string is not ours to print.
/// </summary>
public sealed record TelemetrySettings(Uri? OtlpEndpoint, string OtlpProtocol, string? AzureMonitorConnectionString, string? ManagedIdentityClientId, bool UseManagedIdentity)
{
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string OtlpProtocolSetting = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string AzureMonitorSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AzureMonitorAuthenticationSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    public bool ExportsAnything => OtlpEndpoint is not null || AzureMonitorConnectionString is not null;

    /// <summary>Reads and checks the settings; throws <see cref="InvalidOperationException"/> saying what to fix.</summary>
    public static TelemetrySettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Uri? endpoint = null;
        if (Value(configuration, OtlpEndpointSetting) is { } endpointText)
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException(
                    $"{OtlpEndpointSetting} is the OTLP receiver's base address, an absolute http or https URL (e.g. http://localhost:4318 for http/protobuf, http://localhost:4317 for grpc); got '{endpointText}'. Remove it to export nothing over OTLP.");
            }
        }

        var protocol = Value(configuration, OtlpProtocolSetting) ?? HttpProtobuf;
        if (protocol is not (Grpc or HttpProtobuf))
        {
            throw new InvalidOperationException(
                $"{OtlpProtocolSetting} is '{Grpc}' or '{HttpProtobuf}' (the protocols this app's OTLP exporter speaks); got '{protocol}'.");
        }

        var connectionString = Value(configuration, AzureMonitorSetting);
        if (connectionString is not null && !connectionString.Contains("InstrumentationKey=", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{AzureMonitorSetting} is not an Application Insights connection string (it has no InstrumentationKey=...; copy it from the component's overview). Remove it to send nothing to Azure Monitor.");
        }

        var (useIdentity, clientId) = ParseAuthentication(Value(configuration, AzureMonitorAuthenticationSetting));
        return new TelemetrySettings(endpoint, protocol, connectionString, clientId, useIdentity);
    }

    // Azure's form: "Authorization=AAD" or "ClientId=<user-assigned identity's client id>;Authorization=AAD".
    private static (bool UseIdentity, string? ClientId) ParseAuthentication(string? text)
    {
        if (text is null)
        {
            return (false, null);
        }

        string? clientId = null;
        var aad = false;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length == 2 && pair[0].Equals("Authorization", StringComparison.OrdinalIgnoreCase) && pair[1].Equals("AAD", StringComparison.OrdinalIgnoreCase))
            {
                aad = true;
            }
            else if (pair.Length == 2 && pair[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase) && Guid.TryParse(pair[1], out _))
            {
                clientId = pair[1];
            }
            else
            {
                throw new InvalidOperationException(
                    $"{AzureMonitorAuthenticationSetting} is 'Authorization=AAD' or 'ClientId=<identity client id (a GUID)>;Authorization=AAD'; it has a part this app does not understand.");
            }
        }

        return aad
            ? (true, clientId)
            : throw new InvalidOperationException($"{AzureMonitorAuthenticationSetting} needs 'Authorization=AAD' (the only authentication it selects).");
    }

    private static string? Value(IConfiguration configuration, string name) =>
        configuration[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
