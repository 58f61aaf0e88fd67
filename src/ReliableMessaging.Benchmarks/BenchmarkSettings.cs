using System.Globalization;

namespace ReliableMessaging.Benchmarks;

/// <summary>
/// Command-line settings: <c>--duration S</c>, <c>--warmup S</c>, <c>--window N</c>, <c>--out FILE</c>, and
/// <c>--scenarios a,b,c,d,window</c> to run only some scenarios (the pgbench baseline always runs),
/// <c>--rounds N</c> rounds of (a) beside its baselines.
/// </summary>
public sealed record BenchmarkSettings(TimeSpan Duration, TimeSpan Warmup, int WindowSize, string? OutputFile, string CommandLineSuffix)
{
    public static readonly IReadOnlySet<string> AllScenarios = new HashSet<string>(["a", "b", "c", "d", "window"], StringComparer.Ordinal);

    /// <summary>The scenarios to run; all of them unless <c>--scenarios</c> names some.</summary>
    public IReadOnlySet<string> Scenarios { get; init; } = AllScenarios;

    /// <summary>Rounds of (a) beside its baselines at each concurrency (<c>--rounds N</c>, default 3).</summary>
    public int Rounds { get; init; } = 3;

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    public static BenchmarkSettings Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var duration = TimeSpan.FromSeconds(10);
        var warmup = TimeSpan.FromSeconds(3);
        var window = 1000;
        string? output = null;
        var scenarios = AllScenarios;
        var rounds = 3;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--duration": duration = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); i++; break;
                case "--warmup": warmup = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); i++; break;
                case "--window": window = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--out": output = value; i++; break;
                case "--scenarios": scenarios = ParseScenarios(value); i++; break;
                case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture) is var r and > 0 ? r : throw new ArgumentException("--rounds takes a positive number."); i++; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}. Use --duration S --warmup S --window N --out FILE --scenarios a,b,c,d,window --rounds N.");
            }
        }

        return new(duration, warmup, window, output, args.Length == 0 ? "" : " " + string.Join(' ', args)) { Scenarios = scenarios, Rounds = rounds };
    }

    private static HashSet<string> ParseScenarios(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var unknown = names.Where(name => !AllScenarios.Contains(name)).ToList();
        return unknown.Count == 0 && names.Count > 0
            ? names
            : throw new ArgumentException($"--scenarios takes a comma-separated list of {string.Join(',', AllScenarios)}; got '{value}'.");
    }
}
