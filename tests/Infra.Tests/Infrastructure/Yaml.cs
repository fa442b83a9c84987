using YamlDotNet.RepresentationModel;

namespace Infra.Tests.Infrastructure;

/// <summary>Small helpers over YamlDotNet's representation model (the parse itself is what the tests check first).</summary>
public static class Yaml
{
    public static YamlMappingNode Load(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode root
            ? root
            : throw new InvalidOperationException($"{path} must hold one YAML document whose root is a mapping.");
    }

    public static YamlNode? Get(this YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static string? Scalar(this YamlNode node, string key) => (node.Get(key) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlMappingNode> Steps(this YamlNode job) =>
        (job.Get("steps") as YamlSequenceNode)?.Children.OfType<YamlMappingNode>() ?? [];

    public static IEnumerable<string> Keys(this YamlNode node) =>
        node is YamlMappingNode mapping ? mapping.Children.Keys.OfType<YamlScalarNode>().Select(key => key.Value ?? string.Empty) : [];
}
