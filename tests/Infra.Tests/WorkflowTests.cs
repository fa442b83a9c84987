using Infra.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Infra.Tests;

/// <summary>The GitHub Actions workflow cannot run here: these tests check that it parses and says what it must.</summary>
public sealed class WorkflowTests
{
    private static readonly YamlMappingNode Workflow = Yaml.Load(RepositoryPaths.Workflow);

    private static YamlNode Job(string name) =>
        Workflow.Get("jobs")?.Get(name) ?? throw new InvalidOperationException($"ci.yml has no job '{name}'.");

    [Fact]
    public void Workflow_WhenParsed_ShouldRunOnEveryPushAndPullRequest()
    {
        var triggers = Workflow.Get("on");
        Assert.NotNull(triggers);
        Assert.Contains("push", triggers.Keys());
        Assert.Contains("pull_request", triggers.Keys());
        // No branch filter: every push and every pull request runs the tests.
        Assert.Null(triggers.Get("push")?.Get("branches"));
        Assert.Null(triggers.Get("pull_request")?.Get("branches"));
    }

    [Fact]
    public void TestJob_WhenParsed_ShouldRunTheReadmeTestCommandWithDotnet10AndNode20()
    {
        var job = Job("test");
        Assert.StartsWith("ubuntu", job.Scalar("runs-on"), StringComparison.Ordinal);
        var steps = job.Steps().ToArray();
        Assert.Contains(steps, step => step.Scalar("uses")?.StartsWith("actions/setup-dotnet@", StringComparison.Ordinal) == true
            && step.Get("with")?.Scalar("dotnet-version")?.StartsWith("10.", StringComparison.Ordinal) == true);
        Assert.Contains(steps, step => step.Scalar("uses")?.StartsWith("actions/setup-node@", StringComparison.Ordinal) == true
            && step.Get("with")?.Scalar("node-version") == "20");
        Assert.Contains(steps, step => step.Scalar("run")?.Trim() == "bash scripts/test.sh");
    }

    [Fact]
    public void DeployJob_WhenParsed_ShouldRunOnlyOnMainAfterTestsBehindTheProductionEnvironment()
    {
        var job = Job("deploy");
        Assert.Equal("test", job.Scalar("needs"));
        var condition = job.Scalar("if");
        Assert.Contains("github.ref == 'refs/heads/main'", condition, StringComparison.Ordinal);
        Assert.Contains("github.event_name == 'push'", condition, StringComparison.Ordinal);
        Assert.Equal("production", job.Scalar("environment") ?? job.Get("environment")?.Scalar("name"));
    }

    [Fact]
    public void DeployJob_WhenParsed_ShouldSignInWithOpenIdConnectAndNoStoredSecret()
    {
        var job = Job("deploy");
        Assert.Equal("write", job.Get("permissions")?.Scalar("id-token"));
        var login = Assert.Single(job.Steps(), step => step.Scalar("uses")?.StartsWith("azure/login@", StringComparison.Ordinal) == true);
        foreach (var input in new[] { "client-id", "tenant-id", "subscription-id" })
        {
            Assert.StartsWith("${{ vars.", login.Get("with")?.Scalar(input), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("secrets.", File.ReadAllText(RepositoryPaths.Workflow), StringComparison.Ordinal);
    }

    [Fact]
    public void DeployJob_WhenParsed_ShouldDeployTheBicepTemplateThenPublishTheApp()
    {
        var runs = Job("deploy").Steps().Select(step => step.Scalar("run") ?? string.Empty).ToArray();
        var deploy = Array.FindIndex(runs, run => run.Contains("az deployment group create", StringComparison.Ordinal)
            && run.Contains("infra/main.bicepparam", StringComparison.Ordinal));
        var publish = Array.FindIndex(runs, run => run.Contains("dotnet publish src/Payments.Functions", StringComparison.Ordinal)
            && run.Contains("az functionapp deployment source config-zip", StringComparison.Ordinal));
        Assert.True(deploy >= 0, "No step runs az deployment group create with infra/main.bicepparam.");
        Assert.True(publish > deploy, "The app must be published after the infrastructure is deployed.");
    }
}
