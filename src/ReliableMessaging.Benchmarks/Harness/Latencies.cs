namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>Percentiles of sorted latencies, computed the same way for pgbench's log and our own load.</summary>
public static class Latencies
{
    /// <summary>The nearest-rank percentile of <paramref name="sorted"/> (NaN when empty).</summary>
    public static double Percentile(double[] sorted, double quantile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];
    }
}
