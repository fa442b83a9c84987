using Infra.Tests.Infrastructure;

namespace Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class AppSettingsTests(InfraFixture fixture)
{
    private static IReadOnlyList<string> SampleSettings =>
        AppSettingsSources.SampleSettingNames(File.ReadAllText(RepositoryPaths.SampleSettings));

    private static IReadOnlyDictionary<string, LocalOnlySetting> LocalOnly =>
        AppSettingsSources.LocalOnly(File.ReadAllText(RepositoryPaths.LocalOnlySettings));

    [Fact]
    public void AppSettings_WhenCompiled_ShouldProvideEverySettingOfTheSample()
    {
        Problems.AssertNone(InfraRules.AppSettingsCoverSample(fixture.Snapshot, SampleSettings, LocalOnly));
    }

    [Fact]
    public void AppSettings_WhenTheSampleGainsASettingTheTemplateLacks_ShouldFailNamingIt()
    {
        // Seeded mistake: a developer adds a setting to local.settings.sample.json and forgets the template.
        var sample = SampleSettings.Append("Payments:RefundWindowDays").ToArray();

        var problems = InfraRules.AppSettingsCoverSample(fixture.Snapshot, sample, LocalOnly);

        var problem = Assert.Single(problems);
        Assert.Contains("'Payments__RefundWindowDays'", problem, StringComparison.Ordinal);
        Assert.Contains("infra/local-only-settings.json", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_WhenTheSampleNamesTheKeySourceTheDeploymentDoesNotUse_ShouldStillBeProvided()
    {
        // The deployment configures Jwt:Authority; Jwt:JwksUri is its alternative, written only when set.
        var sample = SampleSettings.Append("Jwt:JwksUri").Append("Jwt:Authority").ToArray();

        Problems.AssertNone(InfraRules.AppSettingsCoverSample(fixture.Snapshot, sample, LocalOnly));
    }

    [Fact]
    public void LocalOnlySettings_WhenLoaded_ShouldExplainEachEntryAndNameItsAzureCounterparts()
    {
        var localOnly = LocalOnly;
        Assert.Contains("AzureWebJobsStorage", localOnly.Keys);
        Assert.Contains("PaymentsStorage", localOnly.Keys);
        Assert.All(localOnly.Values, setting => Assert.True(setting.Reason.Length > 20, $"'{setting.Name}' needs a real reason."));
        // A storage connection string is replaced by identity-based settings, never dropped.
        Assert.All(localOnly.Values.Where(setting => setting.Name.EndsWith("Storage", StringComparison.Ordinal)),
            setting => Assert.Contains(setting.Name + "__credential", setting.ProvidedAs));
    }

    [Theory]
    [InlineData("AzureWebJobsStorage")]
    [InlineData("PaymentsStorage")]
    public void AppSettings_WhenCompiled_ShouldConnectToStorageWithTheManagedIdentity(string connection)
    {
        var settings = fixture.Snapshot.AppSettings;
        Assert.DoesNotContain(connection, settings.Keys);
        Assert.Equal("managedidentity", settings.GetValueOrDefault(connection + "__credential"));
        Assert.Equal(fixture.Snapshot.IdentityReference("clientId"), settings.GetValueOrDefault(connection + "__clientId"));
        Assert.EndsWith(".primaryEndpoints.table]", settings.GetValueOrDefault(connection + "__tableServiceUri"), StringComparison.Ordinal);
        Assert.EndsWith(".primaryEndpoints.queue]", settings.GetValueOrDefault(connection + "__queueServiceUri"), StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_WhenCompiled_ShouldPointTheAppAtTheTablesAndQueueTheTemplateCreates()
    {
        var settings = fixture.Snapshot.AppSettings;
        var (tables, queues) = InfraRules.AppStorageNames();
        Assert.Contains(Payments.Core.Storage.StorageOptions.ConnectionName + "__tableServiceUri", settings.Keys);
        Assert.Contains(settings.GetValueOrDefault("Storage__PaymentsQueue"), queues);
        foreach (var name in new[] { "Storage__IdempotencyTable", "Storage__PaymentsTable", "Storage__CustomersTable", "Storage__LedgerTable", "Storage__DeadLettersTable" })
        {
            Assert.Contains(settings.GetValueOrDefault(name), tables);
        }
    }

    [Fact]
    public void AppSettings_WhenCompiled_ShouldSendTelemetryWithTheIdentity()
    {
        var settings = fixture.Snapshot.AppSettings;
        var clientId = fixture.Snapshot.IdentityReference("clientId")[1..^1];
        Assert.Equal($"[format('ClientId={{0}};Authorization=AAD', {clientId})]", settings.GetValueOrDefault("APPLICATIONINSIGHTS_AUTHENTICATION_STRING"));
        Assert.EndsWith(".ConnectionString]", settings.GetValueOrDefault("APPLICATIONINSIGHTS_CONNECTION_STRING"), StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_WhenCompiled_ShouldCarryTheJwtSettingsFromTheParameters()
    {
        var settings = fixture.Snapshot.AppSettings;
        Assert.Equal(BicepCli.DeploymentEnvironment["JWT_ISSUER"], settings.GetValueOrDefault("Jwt__Issuer"));
        Assert.Equal(BicepCli.DeploymentEnvironment["JWT_AUDIENCE"], settings.GetValueOrDefault("Jwt__Audience"));
        Assert.Equal(BicepCli.DeploymentEnvironment["JWT_AUTHORITY"], settings.GetValueOrDefault("Jwt__Authority"));
        // Only the key source that is set is written: the app refuses contradictory sources.
        Assert.DoesNotContain("Jwt__JwksUri", settings.Keys);
        Assert.DoesNotContain("Jwt__SigningKeysPath", settings.Keys);
    }
}
