namespace ReliableMessaging.Benchmarks;

/// <summary>
/// The benchmark's settings (read by <see cref="BenchmarkCommandLine"/>): <c>--duration S</c>, <c>--warmup S</c>,
/// <c>--window N</c>, <c>--out FILE</c>, <c>--scenarios unique,peer,telemetry,spinning,hot,replays,http,steady,window</c> to run only some scenarios (the
/// pgbench baseline always runs), <c>--rounds N</c> rounds of the unique scenario beside its baselines.
/// </summary>
public sealed record BenchmarkSettings(TimeSpan Duration, TimeSpan Warmup, int WindowSize, string? OutputFile, string CommandLineSuffix)
{
    public static readonly IReadOnlySet<string> AllScenarios = new HashSet<string>(["unique", "peer", "telemetry", "spinning", "hot", "replays", "http", "steady", "window"], StringComparer.Ordinal);

    /// <summary>The scenarios to run; all of them unless <c>--scenarios</c> names some.</summary>
    public IReadOnlySet<string> Scenarios { get; init; } = AllScenarios;

    /// <summary>Rounds of the unique scenario beside its baselines at each concurrency (<c>--rounds N</c>, default 3).</summary>
    public int Rounds { get; init; } = 3;

    public bool Runs(string scenario) => Scenarios.Contains(scenario);
}
