using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Infra.Tests.Infrastructure;

/// <summary>What one Bicep CLI run printed.</summary>
public sealed record BicepRun(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>
    /// Lines that report a problem. The compiler exits 0 on warnings (an unknown property is only a warning), so
    /// every "Warning" or "Error" line counts. Standard output is skipped when it carries the compiled document.
    /// </summary>
    public IReadOnlyList<string> ProblemLines(bool outputIsDocument) =>
        (outputIsDocument ? StandardError : StandardOutput + "\n" + StandardError)
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(line => line.Contains("Warning", StringComparison.Ordinal) || line.Contains("Error", StringComparison.Ordinal))
        .ToArray();
}

/// <summary>The pinned Bicep CLI, restored by infra/tools/Bicep.Cli.csproj into the NuGet global packages folder.</summary>
public static class BicepCli
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly Lazy<string> LazyPath = new(Locate);

    private static readonly Lazy<string[]> ParameterEnvironmentVariables = new(() =>
        Regex.Matches(File.ReadAllText(Path.Combine(RepositoryPaths.Infra, "main.bicepparam")), @"readEnvironmentVariable\('([^']+)'")
            .Select(match => match.Groups[1].Value)
            .ToArray());

    /// <summary>Example values a deployer would export; main.bicepparam reads them from the environment.</summary>
    public static readonly IReadOnlyDictionary<string, string> DeploymentEnvironment = new Dictionary<string, string>
    {
        ["JWT_ISSUER"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
        ["JWT_AUDIENCE"] = "api://payments",
        ["JWT_AUTHORITY"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
    };

    public static string Version => Metadata("BicepCliVersion");

    public static string ExecutablePath => LazyPath.Value;

    public static async Task<BicepRun> RunAsync(string workingDirectory, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the example values count: whatever the developer's shell exports for main.bicepparam is dropped.
        foreach (var name in ParameterEnvironmentVariables.Value)
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in DeploymentEnvironment)
        {
            start.Environment[name] = value;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RunTimeout);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new BicepRun("bicep " + string.Join(' ', arguments), process.ExitCode, await output, await error);
    }

    private static string Locate()
    {
        var candidates = new List<string>();
        var restored = Metadata("BicepCliPath");
        if (restored.Length > 0)
        {
            candidates.Add(restored);
        }

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        candidates.Add(Path.Combine(packages, "azure.bicep.commandline.linux-x64", Version, "tools", "bicep"));
        var path = candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"Bicep CLI {Version} not found (looked at: {string.Join(", ", candidates)}). " +
            "Restore it with: dotnet restore infra/tools/Bicep.Cli.csproj");

        // NuGet extraction does not keep the executable bit.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static string Metadata(string key) =>
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value ?? string.Empty;
}
