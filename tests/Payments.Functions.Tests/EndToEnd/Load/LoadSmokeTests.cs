using Payments.LoadDriver;

namespace Payments.Functions.Tests.EndToEnd.Load;

/// <summary>The load tests share two cores with everything else; they run alone so neither they nor others starve.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadSmokeCollection
{
    public const string Name = "Load smoke";
}

/// <summary>
/// Tiny versions of scripts/bench.sh and scripts/chaos.sh, so the commands cannot rot: the same driver code, seconds
/// instead of minutes.
/// </summary>
[Collection(LoadSmokeCollection.Name)]
public sealed class LoadSmokeTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("payments-load-smoke").FullName;

    [Fact]
    public async Task BenchRun_WhenRunForOneSecondOnOneScenario_ShouldWriteTheReportAndCountTheTransactions()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var result = await BenchRun.RunAsync(new BenchOptions
        {
            AppDirectory = PaymentsApp.AppDirectory,
            ConnectionString = Environment.GetEnvironmentVariable(PaymentsApp.AzuriteVariable) is { Length: > 0 } storage ? storage : "UseDevelopmentStorage=true",
            OutputDirectory = _output,
            Duration = TimeSpan.FromSeconds(1),
            Concurrency = [1],
            Scenarios = [BenchRun.Get],
            BreakdownDuration = TimeSpan.Zero,
            Progress = TextWriter.Null,
        }, timeout.Token);

        foreach (var file in new[] { "report.md", "report.json", "chart.svg" })
        {
            Assert.True(File.Exists(Path.Combine(_output, file)), file + " is missing");
        }

        var get = Assert.Single(result.Scenarios);
        Assert.True(get.Operations > 0 && get.Errors == 0, $"{get.Operations} GETs, {get.Errors} errors: {get.FirstError}");
        Assert.Equal(1, result.Transactions.Single(t => t.Operation.StartsWith("GET", StringComparison.Ordinal)).Total);
        Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(_output, "chart.svg")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChaosRun_WhenRunWithAFifteenSecondBudget_ShouldHoldEveryInvariant()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var result = await ChaosRun.RunAsync(new ChaosOptions
        {
            AppDirectory = PaymentsApp.AppDirectory,
            AzuriteExecutable = Path.Combine(RepositoryPaths.Root, "node_modules", ".bin", "azurite"),
            OutputDirectory = _output,
            Budget = TimeSpan.FromSeconds(15),
            Clients = 4,
            IncludeProcessingErrors = false,
            Progress = TextWriter.Null,
        }, timeout.Token);

        Assert.True(File.Exists(Path.Combine(_output, "chaos-report.md")));
        Assert.True(File.Exists(Path.Combine(_output, "chaos-report.json")));
        Assert.Equal(7, result.Invariants.Count);
        Assert.True(result.Passed, string.Join(Environment.NewLine, result.Invariants.Where(i => !i.Holds).Select(i => i.Name + ": " + i.Counts).Concat(result.Unexplained).Concat(AppErrors())));
        Assert.True(result.Counts["faults.worker-kills"] >= 1 && result.Counts["faults.azurite-restarts"] == 1, "the faults were not injected");
        Assert.True(result.Counts["payments.succeeded"] > 0, "no payment succeeded");
    }

    /// <summary>The app's own account of failed HTTP invocations, so a red run explains itself.</summary>
    private List<string> AppErrors()
    {
        var log = Path.Combine(_output, "host-warnings.log");
        return File.Exists(log)
            ? File.ReadLines(log).Where(l => l.Contains("CreatePayment", StringComparison.Ordinal) || l.Contains("failed unexpectedly", StringComparison.Ordinal)).Take(15).ToList()
            : [];
    }

    public void Dispose() => Directory.Delete(_output, recursive: true);
}
