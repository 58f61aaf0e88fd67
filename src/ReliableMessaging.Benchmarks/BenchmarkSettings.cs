using System.Globalization;

namespace ReliableMessaging.Benchmarks;

/// <summary>Command-line settings: <c>--duration S</c>, <c>--warmup S</c>, <c>--window N</c>, <c>--out FILE</c>.</summary>
public sealed record BenchmarkSettings(TimeSpan Duration, TimeSpan Warmup, int WindowSize, string? OutputFile, string CommandLineSuffix)
{
    public static BenchmarkSettings Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var duration = TimeSpan.FromSeconds(10);
        var warmup = TimeSpan.FromSeconds(3);
        var window = 1000;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--duration": duration = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); i++; break;
                case "--warmup": warmup = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); i++; break;
                case "--window": window = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--out": output = value; i++; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}. Use --duration S --warmup S --window N --out FILE.");
            }
        }

        return new(duration, warmup, window, output, args.Length == 0 ? "" : " " + string.Join(' ', args));
    }
}
