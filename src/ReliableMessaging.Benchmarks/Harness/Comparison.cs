namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>A baseline measured in the same run, and the ratio of a scenario's throughput to it.</summary>
public sealed record Comparison(string Name, double Throughput)
{
    public double RatioOf(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Throughput > 0 ? result.Throughput / Throughput : double.NaN;
    }
}
