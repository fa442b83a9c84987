using System.Globalization;
using Payments.LoadDriver;

// Usage:
//   Payments.LoadDriver chaos [--budget 150] [--clients 8] [--fault-rate 0.05] [--out DIR] [--app-dir DIR] [--azurite PATH]
//   Payments.LoadDriver bench --storage CONNECTION [--duration 5] [--clients 1,8] [--scenarios a,b] [--baselines proxy|direct] [--breakdown 3] [--host-bench FILE] [--out DIR] [--app-dir DIR]
var command = args.Length > 0 ? args[0] : "help";
var options = ParseOptions(args.Skip(1).ToArray());
var root = RepositoryRoot();
var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
var appDirectory = options.GetValueOrDefault("app-dir") ?? Path.Combine(root, "src", "Payments.Functions", "bin", "Release", "net10.0");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

switch (command)
{
    case "chaos":
    {
        var result = await ChaosRun.RunAsync(new ChaosOptions
        {
            AppDirectory = appDirectory,
            AzuriteExecutable = options.GetValueOrDefault("azurite") ?? Path.Combine(root, "node_modules", ".bin", "azurite"),
            OutputDirectory = options.GetValueOrDefault("out") ?? Path.Combine(root, "artifacts", "chaos-" + stamp),
            Budget = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("budget") ?? "150", CultureInfo.InvariantCulture)),
            Clients = int.Parse(options.GetValueOrDefault("clients") ?? "8", CultureInfo.InvariantCulture),
            StorageFaultRate = double.Parse(options.GetValueOrDefault("fault-rate") ?? "0.05", CultureInfo.InvariantCulture),
        }, cancel.Token);
        Console.WriteLine(result.Passed ? $"All invariants hold. Report: {result.ReportDirectory}" : $"INVARIANT FAILED. Report: {result.ReportDirectory}");
        return result.Passed ? 0 : 1;
    }

    case "bench":
    {
        var storage = options.GetValueOrDefault("storage") ?? Environment.GetEnvironmentVariable("PAYMENTS_TEST_STORAGE")
            ?? throw new InvalidOperationException("bench needs --storage CONNECTION_STRING (scripts/bench.sh starts an Azurite and passes it).");
        var result = await BenchRun.RunAsync(new BenchOptions
        {
            AppDirectory = appDirectory,
            ConnectionString = storage,
            OutputDirectory = options.GetValueOrDefault("out") ?? Path.Combine(root, "artifacts", "bench-" + stamp),
            Duration = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("duration") ?? "5", CultureInfo.InvariantCulture)),
            Concurrency = (options.GetValueOrDefault("clients") ?? "1,8").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
            BreakdownDuration = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("breakdown") ?? "3", CultureInfo.InvariantCulture)),
            HostBenchFile = options.GetValueOrDefault("host-bench"),
            Scenarios = options.GetValueOrDefault("scenarios")?.Split(',', StringSplitOptions.RemoveEmptyEntries),
            BaselinesThroughProxy = (options.GetValueOrDefault("baselines") ?? "proxy") switch
            {
                "proxy" => true,
                "direct" => false,
                var other => throw new ArgumentException($"--baselines is 'proxy' (the default: raw baselines through a proxy like the app's) or 'direct', not '{other}'."),
            },
        }, cancel.Token);
        Console.WriteLine($"Report: {result.ReportDirectory}");
        return 0;
    }

    default:
        Console.Error.WriteLine("Usage: Payments.LoadDriver chaos|bench [options]; see scripts/chaos.sh and scripts/bench.sh.");
        return 2;
}

static Dictionary<string, string> ParseOptions(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
        {
            throw new ArgumentException($"Expected '--name value', got '{args[i]}'.");
        }

        options[args[i][2..]] = args[++i];
    }

    return options;
}

static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
        {
            return directory.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
