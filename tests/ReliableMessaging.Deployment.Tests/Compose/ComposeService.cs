using YamlDotNet.RepresentationModel;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>One service of docker-compose.yml.</summary>
public sealed class ComposeService(string name, YamlMappingNode node)
{
    public string Name { get; } = name;

    public string? Image => ComposeFile.Scalar(node, "image");

    /// <summary>The secrets mounted under /run/secrets (short form).</summary>
    public IReadOnlyList<string> Secrets => ComposeFile.Strings(node, "secrets");

    public ComposeBuild? Build => ComposeFile.Map(node, "build") is { } build
        ? new ComposeBuild(ComposeFile.Scalar(build, "context") ?? ".", ComposeFile.Scalar(build, "dockerfile") ?? "Dockerfile")
        : null;

    /// <summary>The environment as written (compose variables not yet substituted); list and map forms both read.</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            if (!node.Children.TryGetValue(new YamlScalarNode("environment"), out var environment))
            {
                return new Dictionary<string, string>();
            }

            return environment switch
            {
                YamlMappingNode map => map.Children.ToDictionary(entry => ((YamlScalarNode)entry.Key).Value!, entry => ((YamlScalarNode)entry.Value).Value ?? string.Empty),
                YamlSequenceNode list => list.Children
                    .Select(item => ((YamlScalarNode)item).Value!.Split('=', 2))
                    .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : string.Empty),
                _ => new Dictionary<string, string>(),
            };
        }
    }

    /// <summary>depends_on: service name to condition (the short list form has none).</summary>
    public IReadOnlyDictionary<string, string?> DependsOn
    {
        get
        {
            if (!node.Children.TryGetValue(new YamlScalarNode("depends_on"), out var dependsOn))
            {
                return new Dictionary<string, string?>();
            }

            return dependsOn switch
            {
                YamlMappingNode map => map.Children.ToDictionary(entry => ((YamlScalarNode)entry.Key).Value!, entry => ComposeFile.Scalar(entry.Value as YamlMappingNode, "condition")),
                YamlSequenceNode list => list.Children.ToDictionary(item => ((YamlScalarNode)item).Value!, _ => (string?)null),
                _ => new Dictionary<string, string?>(),
            };
        }
    }

    /// <summary>The healthcheck command as one string, or null when there is none.</summary>
    public string? Healthcheck => ComposeFile.Map(node, "healthcheck") is { } healthcheck
        ? string.Join(' ', ComposeFile.Strings(healthcheck, "test"))
        : null;

    public IReadOnlyList<string> Expose => ComposeFile.Strings(node, "expose");

    public IReadOnlyList<string> Ports => ComposeFile.Strings(node, "ports");

    public IReadOnlyList<string> Volumes => ComposeFile.Strings(node, "volumes");

    public string? Address(string network) => ComposeFile.Scalar(ComposeFile.Map(ComposeFile.Map(node, "networks"), network), "ipv4_address");
}
