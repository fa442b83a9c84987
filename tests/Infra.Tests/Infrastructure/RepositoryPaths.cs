namespace Infra.Tests.Infrastructure;

/// <summary>The files of the repository these tests read, below the root the shared test support finds.</summary>
public static class RepositoryPaths
{
    public static string Root => Payments.Testing.RepositoryPaths.Root;

    public static string Infra => Path.Combine(Root, "infra");

    public static string SampleSettings => Path.Combine(Root, "local.settings.sample.json");

    public static string LocalOnlySettings => Path.Combine(Infra, "local-only-settings.json");

    public static string Workflow => Path.Combine(Root, ".github", "workflows", "ci.yml");

    public static string AzureYaml => Path.Combine(Root, "azure.yaml");
}
