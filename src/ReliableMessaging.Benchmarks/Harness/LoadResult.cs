namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>What one measured load step achieved.</summary>
public sealed record LoadResult(int Concurrency, long Operations, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    /// <summary>Where the CPU went during the measurement (see <see cref="CpuSampler"/>).</summary>
    public string Cpu { get; init; } = string.Empty;

    public double Throughput => Operations / Elapsed.TotalSeconds;
}
