namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>What one measured load step achieved.</summary>
public sealed record LoadResult(int Concurrency, long Operations, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double Throughput => Operations / Elapsed.TotalSeconds;
}
