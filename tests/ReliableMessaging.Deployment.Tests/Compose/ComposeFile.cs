using YamlDotNet.RepresentationModel;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>docker-compose.yml as parsed YAML, with typed access to what the checks need.</summary>
public sealed class ComposeFile
{
    private ComposeFile(YamlMappingNode root)
    {
        Root = root;
        Services = Map(root, "services")?.Children
            .ToDictionary(entry => ((YamlScalarNode)entry.Key).Value!, entry => new ComposeService(((YamlScalarNode)entry.Key).Value!, (YamlMappingNode)entry.Value))
            ?? [];
    }

    public static string Path => RepositoryPaths.Combine("docker-compose.yml");

    public YamlMappingNode Root { get; }

    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    public IEnumerable<ComposeService> Silos => Services.Values.Where(service => service.Build?.Dockerfile == "src/ReliableMessaging.Silo/Dockerfile");

    public ComposeService FrontEnd => Services.Values.Single(service => service.Build?.Dockerfile == "src/ReliableMessaging.Api/Dockerfile");

    public ComposeService Prometheus => Services.Values.Single(service => service.Image?.StartsWith("prom/prometheus:", StringComparison.Ordinal) == true);

    public ComposeService Grafana => Services.Values.Single(service => service.Image?.StartsWith("grafana/grafana:", StringComparison.Ordinal) == true);

    public ComposeService Postgres => Services.Values.Single(service => service.Image?.StartsWith("postgres:", StringComparison.Ordinal) == true);

    public IReadOnlyCollection<string> TopLevelKeys => Root.Children.Keys.Select(key => ((YamlScalarNode)key).Value!).ToList();

    public IReadOnlyCollection<string> NamedVolumes => Map(Root, "volumes")?.Children.Keys.Select(key => ((YamlScalarNode)key).Value!).ToList() ?? [];

    public string? Subnet(string network) =>
        Map(Map(Map(Root, "networks"), network), "ipam")?.Children.TryGetValue(new YamlScalarNode("config"), out var config) == true
        && config is YamlSequenceNode { Children.Count: > 0 } list && list.Children[0] is YamlMappingNode first
            ? Scalar(first, "subnet")
            : null;

    public static ComposeFile Load() => Load(Path);

    /// <summary>Another compose file, e.g. an override merged over docker-compose.yml.</summary>
    public static ComposeFile Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return new ComposeFile((YamlMappingNode)stream.Documents.Single().RootNode);
    }

    internal static YamlMappingNode? Map(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    internal static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? (child as YamlScalarNode)?.Value : null;

    internal static IReadOnlyList<string> Strings(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child)
            ? child switch
            {
                YamlSequenceNode list => list.Children.Select(item => ((YamlScalarNode)item).Value!).ToList(),
                YamlScalarNode scalar => [scalar.Value!],
                _ => [],
            }
            : [];
}
