namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>One line of the report: a scenario at one concurrency, with its baseline if it has one.</summary>
public sealed record BenchmarkRow(string Scenario, LoadResult Result, double? BaselineThroughput, string BaselineName)
{
    public double? Ratio => BaselineThroughput is > 0 ? Result.Throughput / BaselineThroughput : null;
}
