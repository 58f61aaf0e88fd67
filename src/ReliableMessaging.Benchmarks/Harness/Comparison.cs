namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// A baseline measured in the same run, and the ratio of a scenario's throughput to it. With
/// <see cref="MedianRatio"/> (several rounds), the ratio is the median of the rounds' own ratios, not
/// the ratio of the throughputs the table shows (those come from one round, chosen by another ratio).
/// </summary>
public sealed record Comparison(string Name, double Throughput, double? MedianRatio = null)
{
    public double RatioOf(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return MedianRatio ?? (Throughput > 0 ? result.Throughput / Throughput : double.NaN);
    }
}
