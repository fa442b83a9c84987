using System.Collections;
using Functions.LocalHost.Configuration;

namespace Functions.LocalHost.Tests.Configuration;

public sealed class AppSettingsTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"local.settings.{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Resolve_WhenSettingNameContainsColon_ShouldReplaceThePercentExpression()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string> { ["Storage:PaymentsQueue"] = "payments" });

        Assert.Equal("payments-in", settings.Resolve("%Storage:PaymentsQueue%-in", "test"));
    }

    [Fact]
    public void Resolve_WhenSettingIsMissing_ShouldFailNamingTheSetting()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string>());

        var error = Assert.Throws<InvalidOperationException>(() => settings.Resolve("%Nowhere:Queue%", "Function 'F'"));

        Assert.Contains("'Nowhere:Queue'", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Function 'F'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_WhenOnlyTheDoubleUnderscoreFormIsSet_ShouldFindItAsConfigurationDoes()
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string> { ["Storage__PaymentsQueue"] = "q1" });

        Assert.Equal("q1", settings.Get("Storage:PaymentsQueue"));
    }

    [Fact]
    public void Load_WhenLocalSettingsAndEnvironmentAndExplicitSettingsOverlap_ShouldLetEnvironmentBeatFileAndExplicitBeatBoth()
    {
        var fromEnvironment = "LOCALHOST_TEST_" + Guid.NewGuid().ToString("N");
        var fromExplicit = "LOCALHOST_TEST_" + Guid.NewGuid().ToString("N");
        File.WriteAllText(_file, $$"""
            { "IsEncrypted": false, "Values": { "{{fromEnvironment}}": "file", "{{fromExplicit}}": "file", "OnlyInFile": "file" } }
            """);
        Environment.SetEnvironmentVariable(fromEnvironment, "environment");
        Environment.SetEnvironmentVariable(fromExplicit, "environment");
        try
        {
            var settings = AppSettings.Load(_file, new Dictionary<string, string> { [fromExplicit] = "explicit" });

            Assert.Equal("environment", settings.Get(fromEnvironment));
            Assert.Equal("explicit", settings.Get(fromExplicit));
            Assert.Equal("file", settings.Get("OnlyInFile"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(fromEnvironment, null);
            Environment.SetEnvironmentVariable(fromExplicit, null);
        }
    }

    [Fact]
    public void Load_WhenAnEnvironmentVariableIsEmpty_ShouldKeepTheLocalSettingsValueAsCoreToolsDoes()
    {
        File.WriteAllText(_file, """{ "Values": { "Shared": "file", "Other": "file" } }""");
        var environment = new Hashtable { ["Shared"] = string.Empty, ["Other"] = "environment", ["OnlyInEnvironment"] = string.Empty };

        var settings = AppSettings.Load(_file, new Dictionary<string, string>(), environment);

        Assert.Equal("file", settings.Get("Shared"));
        Assert.Equal("environment", settings.Get("Other"));
        Assert.Equal(string.Empty, settings.Get("OnlyInEnvironment"));
    }

    [Theory]
    [InlineData("AzureWebJobs.Process.Disabled", "true")]
    [InlineData("AzureWebJobs.Process.Disabled", "1")]
    [InlineData("AzureWebJobs_Process_Disabled", "True")]
    [InlineData("AzureWebJobs_Process_Disabled", "1")]
    public void IsDisabled_WhenEitherSettingFormIsTrueOrOne_ShouldBeTrue(string name, string value)
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string> { [name] = value }, new Hashtable());

        Assert.True(settings.IsDisabled("Process"));
        Assert.False(settings.IsDisabled("Other"));
    }

    [Theory]
    [InlineData("false")]
    [InlineData("0")]
    public void IsDisabled_WhenTheSettingIsFalseOrZero_ShouldBeFalse(string value)
    {
        var settings = AppSettings.Load(null, new Dictionary<string, string> { ["AzureWebJobs.Process.Disabled"] = value }, new Hashtable());

        Assert.False(settings.IsDisabled("Process"));
    }

    [Fact]
    public void Connection_WhenSeveralFormsAreSet_ShouldPreferConnectionStringsThenPrefixedThenPlain()
    {
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings:AzureWebJobsStore"] = "connection-strings-prefixed",
            ["AzureWebJobsStore"] = "prefixed",
            ["ConnectionStrings:Store"] = "connection-strings-plain",
            ["Store"] = "plain",
        };

        Assert.Equal("connection-strings-prefixed", AppSettings.Load(null, all, new Hashtable()).Connection("Store"));
        all.Remove("ConnectionStrings:AzureWebJobsStore");
        Assert.Equal("prefixed", AppSettings.Load(null, all, new Hashtable()).Connection("Store"));
        all.Remove("AzureWebJobsStore");
        Assert.Equal("connection-strings-plain", AppSettings.Load(null, all, new Hashtable()).Connection("Store"));
        all.Remove("ConnectionStrings:Store");
        Assert.Equal("plain", AppSettings.Load(null, all, new Hashtable()).Connection("Store"));
    }

    [Fact]
    public void ConnectionSetting_WhenTheWinningFormIsEmpty_ShouldReturnItEmptyNotALaterForm()
    {
        var all = new Dictionary<string, string>
        {
            ["AzureWebJobsStore"] = string.Empty,
            ["Store"] = "plain",
        };

        Assert.Equal(("AzureWebJobsStore", string.Empty), AppSettings.Load(null, all, new Hashtable()).ConnectionSetting("Store"));
    }
}
