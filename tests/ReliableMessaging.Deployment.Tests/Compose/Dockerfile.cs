using System.Text.RegularExpressions;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>The few Dockerfile instructions the checks read (one instruction per line, no continuations).</summary>
public sealed partial class Dockerfile
{
    private readonly List<(string Instruction, string Arguments, int Stage)> _lines = [];

    private Dockerfile(string path)
    {
        FullPath = path;
        var stage = -1;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split(' ', 2);
            var instruction = parts[0].ToUpperInvariant();
            if (instruction == "FROM")
            {
                stage++;
            }

            _lines.Add((instruction, parts.Length > 1 ? parts[1].Trim() : string.Empty, stage));
        }
    }

    public string FullPath { get; }

    public IReadOnlyList<string> BaseImages => _lines.Where(l => l.Instruction == "FROM").Select(l => l.Arguments.Split(' ')[0]).ToList();

    private int FinalStage => _lines.Max(l => l.Stage);

    /// <summary>ENV of the image that runs (the last stage).</summary>
    public IReadOnlyDictionary<string, string> Environment => _lines
        .Where(l => l.Instruction == "ENV" && l.Stage == FinalStage)
        .Select(l => l.Arguments.Split('=', 2))
        .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : string.Empty);

    public IReadOnlyList<int> ExposedPorts => _lines
        .Where(l => l.Instruction == "EXPOSE" && l.Stage == FinalStage)
        .SelectMany(l => l.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(port => int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))
        .ToList();

    /// <summary>Sources of COPY instructions that read the build context (not <c>--from</c> a stage).</summary>
    public IReadOnlyList<string> ContextSources => _lines
        .Where(l => l.Instruction == "COPY" && !l.Arguments.StartsWith("--from", StringComparison.Ordinal))
        .SelectMany(l =>
        {
            var words = l.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray();
            return words[..^1];
        })
        .ToList();

    public string Entrypoint => _lines.Last(l => l.Instruction == "ENTRYPOINT").Arguments;

    public IReadOnlyList<string> RunCommands => _lines.Where(l => l.Instruction == "RUN").Select(l => l.Arguments).ToList();

    public static Dockerfile Load(ComposeBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return new Dockerfile(Path.Combine(RepositoryPaths.Root, build.Context, build.Dockerfile));
    }

    /// <summary>True for a tag that names a version (digits), never <c>latest</c> or a missing tag.</summary>
    public static bool IsPinned(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastSegment.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 && !image.Contains('@', StringComparison.Ordinal))
        {
            return false;
        }

        var tag = colon < 0 ? string.Empty : lastSegment[(colon + 1)..];
        return image.Contains("@sha256:", StringComparison.Ordinal) || (tag != "latest" && VersionTag().IsMatch(tag));
    }

    // Some projects prefix their version tags with "v" (prom/prometheus:v3.5.0).
    [GeneratedRegex(@"^v?\d+\.\d+(\.\d+)?([-.][A-Za-z0-9.-]+)?$")]
    private static partial Regex VersionTag();
}
