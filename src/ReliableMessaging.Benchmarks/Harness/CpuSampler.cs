using System.Globalization;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// CPU time spent by each part of the system (Linux /proc), so the report can say what limits a
/// scenario: the silo, the front end, PostgreSQL or the load generator itself.
/// </summary>
public static class CpuSampler
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ on Linux

    /// <summary>CPU seconds used so far, by part.</summary>
    public static Dictionary<string, double> Sample()
    {
        var totals = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc"))
        {
            return totals;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                var part = PartOf(File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' '));
                if (part is null)
                {
                    continue;
                }

                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var seconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                totals[part] = totals.GetValueOrDefault(part) + seconds;
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return totals;
    }

    /// <summary>CPU milliseconds per operation for each part between two samples.</summary>
    public static string PerOperation(Dictionary<string, double> before, Dictionary<string, double> after, long operations, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var parts = after.Keys.Order(StringComparer.Ordinal)
            .Select(part => (part, seconds: after[part] - before.GetValueOrDefault(part)))
            .Where(p => p.seconds > 0.01)
            .ToList();
        var busy = parts.Sum(p => p.seconds) / elapsed.TotalSeconds;
        var perOp = string.Join(", ", parts.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.part} {1000 * p.seconds / Math.Max(1, operations):F2}")));
        return string.Create(CultureInfo.InvariantCulture, $"{busy:F2} of {Environment.ProcessorCount} cores busy; CPU ms/op: {perOp}");
    }

    private static string? PartOf(string commandLine) =>
        commandLine.Contains("ReliableMessaging.Silo", StringComparison.Ordinal) ? "silo"
        : commandLine.Contains("ReliableMessaging.Api", StringComparison.Ordinal) ? "front end"
        : commandLine.Contains("ReliableMessaging.Benchmarks", StringComparison.Ordinal) ? "load generator"
        // Sessions (the statements themselves) apart from the server's own processes (WAL writer,
        // checkpointer, autovacuum, the postmaster), which work for every session alike.
        : commandLine.StartsWith("postgres: ", StringComparison.Ordinal) && (commandLine.Contains("127.0.0.1(", StringComparison.Ordinal) || commandLine.Contains("[local]", StringComparison.Ordinal)) ? "postgres"
        : commandLine.StartsWith("postgres", StringComparison.Ordinal) || commandLine.Contains("/bin/postgres", StringComparison.Ordinal) ? "postgres background"
        : commandLine.Contains("pgbench", StringComparison.Ordinal) ? "pgbench"
        : null;
}
