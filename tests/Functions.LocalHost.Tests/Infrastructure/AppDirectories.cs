using System.Reflection;

namespace Functions.LocalHost.Tests.Infrastructure;

/// <summary>Build output folders of the apps the tests run (the test project builds them through project references).</summary>
public static class AppDirectories
{
    public static string SampleApp => Find("SampleAppDirectory");

    private static string Find(string key)
    {
        var directory = typeof(AppDirectories).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == key).Value!;
        directory = Path.GetFullPath(directory);
        return Directory.Exists(directory)
            ? directory
            : throw new DirectoryNotFoundException($"{directory} does not exist; build the test project (it builds the app).");
    }
}
