using System.Globalization;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// CPU time spent by each part of the system (Linux /proc), so the report can say what limits a
/// scenario: the silo, the front end, PostgreSQL or the load generator itself.
/// </summary>
public static class CpuSampler
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ on Linux

    /// <summary>The machine's own counters (<c>/proc/stat</c>), kept apart from the processes' keys.</summary>
    private const string MachineBusy = "(machine busy)|0";
    private const string MachineIowait = "(machine iowait)|0";

    /// <summary>
    /// The benchmark's own PostgreSQL server: only it and its children count as PostgreSQL; another
    /// server's processes (a test suite's on a shared machine) count as the machine's other work. Null: every PostgreSQL.
    /// </summary>
    public static int? PostmasterPid { get; set; }

    /// <summary>The parent process of <paramref name="pid"/> (0 when it cannot be read).</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>
    /// CPU seconds used so far by each process, keyed <c>part|pid</c>: differences are taken per process,
    /// so a process that ends between two samples (a pooled connection's backend closing) takes its
    /// earlier CPU with it instead of showing up as negative time.
    /// </summary>
    public static Dictionary<string, double> Sample()
    {
        var totals = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!Directory.Exists("/proc"))
        {
            return totals;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
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
                if (part.StartsWith("postgres", StringComparison.Ordinal) && PostmasterPid is { } postmaster
                    && pid != postmaster && int.Parse(fields[1], CultureInfo.InvariantCulture) != postmaster)
                {
                    continue;
                }

                var seconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                totals[string.Create(CultureInfo.InvariantCulture, $"{part}|{pid}")] = seconds;
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

        if (File.Exists("/proc/stat"))
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double Field(int index) => double.Parse(cpu[index], CultureInfo.InvariantCulture) / TicksPerSecond;
            totals[MachineBusy] = Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8);
            totals[MachineIowait] = Field(5);
        }

        return totals;
    }

    /// <summary>CPU milliseconds per operation for each part between two samples.</summary>
    public static string PerOperation(Dictionary<string, double> before, Dictionary<string, double> after, long operations, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        double MachineDelta(string key) => Math.Max(0, after.GetValueOrDefault(key) - before.GetValueOrDefault(key)) / elapsed.TotalSeconds;
        var parts = after
            .Where(process => !process.Key.StartsWith('('))
            .GroupBy(process => process.Key.Split('|')[0], StringComparer.Ordinal)
            .Select(part => (part: part.Key, seconds: part.Sum(process => Math.Max(0, process.Value - before.GetValueOrDefault(process.Key)))))
            .Where(p => p.seconds > 0.01)
            .OrderBy(p => p.part, StringComparer.Ordinal)
            .ToList();
        var busy = parts.Sum(p => p.seconds) / elapsed.TotalSeconds;
        var perOp = string.Join(", ", parts.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.part} {1000 * p.seconds / Math.Max(1, operations):F2}")));
        var machine = after.ContainsKey(MachineBusy)
            ? string.Create(CultureInfo.InvariantCulture,
                $" (the whole machine: {MachineDelta(MachineBusy):F2} busy, {Math.Max(0, MachineDelta(MachineBusy) - busy):F2} of it outside these processes; iowait {MachineDelta(MachineIowait):F2})")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{busy:F2} of {Environment.ProcessorCount} cores busy in the processes below{machine}; CPU ms/op: {perOp}");
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
