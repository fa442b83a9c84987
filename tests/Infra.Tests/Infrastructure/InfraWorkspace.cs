using System.Text.Json.Nodes;

namespace Infra.Tests.Infrastructure;

/// <summary>
/// A throw-away copy of infra/ the Bicep CLI works in: the snapshot and format runs write files, and a seeded
/// mistake must never touch the real templates.
/// </summary>
public sealed class InfraWorkspace : IDisposable
{
    private const string SubscriptionId = "00000000-0000-0000-0000-00000000abcd";
    private const string ResourceGroup = "rg-payments-infra-tests";
    private const string Location = "swedencentral";
    private static readonly string[] Sources = ["main.bicep", "main.bicepparam", "bicepconfig.json", "modules"];

    private InfraWorkspace(string directory) => Directory = directory;

    public string Directory { get; }

    public static InfraWorkspace CopyOfRepository()
    {
        var directory = Path.Combine(Path.GetTempPath(), "infra-tests-" + Guid.NewGuid().ToString("N"));
        CopyInfra(RepositoryPaths.Infra, directory);
        return new InfraWorkspace(directory);
    }

    /// <summary>Seeds a mistake: replaces text that must occur exactly once, so a stale mutation fails loudly.</summary>
    public void Replace(string relativePath, string oldText, string newText)
    {
        var path = Path.Combine(Directory, relativePath);
        var text = File.ReadAllText(path);
        var first = text.IndexOf(oldText, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(oldText, first + 1, StringComparison.Ordinal) >= 0)
        {
            throw new InvalidOperationException($"'{oldText}' must occur exactly once in {relativePath} to seed the mistake.");
        }

        File.WriteAllText(path, text.Replace(oldText, newText, StringComparison.Ordinal));
    }

    /// <summary>Removes a top-level resource declaration (from "resource name " to its closing brace).</summary>
    public void RemoveResource(string relativePath, string symbolicName)
    {
        var path = Path.Combine(Directory, relativePath);
        var text = File.ReadAllText(path);
        var start = text.IndexOf($"\nresource {symbolicName} ", StringComparison.Ordinal);
        var end = start < 0 ? -1 : text.IndexOf("\n}\n", start, StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidOperationException($"No resource '{symbolicName}' in {relativePath} to remove.");
        }

        File.WriteAllText(path, text.Remove(start, end + 2 - start));
    }

    /// <summary>Compiles main.bicep to an ARM template; the problems are every Warning or Error line.</summary>
    public async Task<(JsonObject? Template, IReadOnlyList<string> Problems)> BuildAsync(CancellationToken cancellationToken)
    {
        var run = await BicepCli.RunAsync(Directory, cancellationToken, "build", "main.bicep", "--stdout");
        var problems = Problems(run, outputIsDocument: true);
        return (run.ExitCode == 0 ? JsonNode.Parse(run.StandardOutput)?.AsObject() : null, problems);
    }

    /// <summary>Every check of scripts/check-infra.sh: build, build-params, lint (with bicepconfig.json) and format.</summary>
    public async Task<(JsonObject? Template, IReadOnlyList<string> Problems)> CheckAsync(CancellationToken cancellationToken)
    {
        var build = BuildAsync(cancellationToken);
        var parameters = BicepCli.RunAsync(Directory, cancellationToken, "build-params", "main.bicepparam", "--stdout");
        var lint = BicepCli.RunAsync(Directory, cancellationToken, "lint", "--pattern", "**/*.bicep*");
        var format = CheckFormatAsync(cancellationToken);
        await Task.WhenAll(build, parameters, lint, format);
        return (build.Result.Template, [.. build.Result.Problems, .. Problems(parameters.Result, outputIsDocument: true),
            .. Problems(lint.Result, outputIsDocument: false), .. format.Result]);
    }

    /// <summary>
    /// Evaluates the template with main.bicepparam the way Azure Resource Manager would (bicep snapshot): the
    /// predicted resources with parameters, variables, loops and conditions resolved. Values known only at
    /// deployment time (principal ids, endpoints) stay as reference() expressions.
    /// </summary>
    public async Task<TemplateSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var run = await BicepCli.RunAsync(Directory, cancellationToken, "snapshot", "main.bicepparam", "--mode", "overwrite",
            "--subscription-id", SubscriptionId, "--resource-group", ResourceGroup, "--location", Location);
        var problems = Problems(run, outputIsDocument: false);
        var path = Path.Combine(Directory, "main.snapshot.json");
        if (problems.Count > 0 || !File.Exists(path))
        {
            throw new InvalidOperationException($"bicep snapshot failed:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        }

        var document = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken))?.AsObject()
            ?? throw new InvalidOperationException("bicep snapshot wrote an empty document.");
        return new TemplateSnapshot(document);
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private async Task<IReadOnlyList<string>> CheckFormatAsync(CancellationToken cancellationToken)
    {
        // bicep format rewrites files in place: format a second copy and compare it with this one.
        using var formatted = new InfraWorkspace(Directory + "-formatted");
        CopyInfra(Directory, formatted.Directory);
        var run = await BicepCli.RunAsync(formatted.Directory, cancellationToken, "format", "--pattern", "**/*.bicep*");
        var problems = Problems(run, outputIsDocument: false).ToList();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.bicep*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Directory, file);
            var expected = await File.ReadAllTextAsync(Path.Combine(formatted.Directory, relative), cancellationToken);
            if (!string.Equals(await File.ReadAllTextAsync(file, cancellationToken), expected, StringComparison.Ordinal))
            {
                problems.Add($"Error: infra/{relative} is not formatted as the Bicep CLI writes it. Fix: bicep format infra/{relative}");
            }
        }

        return problems;
    }

    private static List<string> Problems(BicepRun run, bool outputIsDocument)
    {
        var problems = run.ProblemLines(outputIsDocument).ToList();
        if (run.ExitCode != 0 && problems.Count == 0)
        {
            problems.Add($"Error: '{run.Command}' exited with {run.ExitCode}: {run.StandardError.Trim()}");
        }

        return problems;
    }

    private static void CopyInfra(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var source in Sources.Select(name => Path.Combine(from, name)))
        {
            if (File.Exists(source))
            {
                File.Copy(source, Path.Combine(to, Path.GetFileName(source)));
                continue;
            }

            foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(to, Path.GetRelativePath(from, file));
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }
}
