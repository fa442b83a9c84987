namespace Infra.Tests.Infrastructure;

/// <summary>Paths in the repository the tests run from (found by walking up to Functions.sln).</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string Infra => Path.Combine(Root, "infra");

    public static string SampleSettings => Path.Combine(Root, "local.settings.sample.json");

    public static string LocalOnlySettings => Path.Combine(Infra, "local-only-settings.json");

    public static string Workflow => Path.Combine(Root, ".github", "workflows", "ci.yml");

    public static string AzureYaml => Path.Combine(Root, "azure.yaml");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Functions.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
