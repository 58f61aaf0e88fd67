namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>One line of the report: a scenario at one concurrency, with the baselines it is compared with.</summary>
public sealed record BenchmarkRow(string Scenario, LoadResult Result, params IReadOnlyList<Comparison> Comparisons);
