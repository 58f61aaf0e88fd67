using System.Globalization;
using System.Text.RegularExpressions;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// The physical limit: pgbench performing the same single-row write a grain-state write performs
/// (the project's own <c>orleans_storage_write</c> function, same payload size, one statement per
/// transaction, on 10,000 rows), at a given number of clients.
/// </summary>
public static partial class PgBench
{
    public const int Rows = 10_000;
    private const string ServiceId = "pgbench";

    public static async Task PrepareAsync(LocalPostgres postgres, int payloadBytes)
    {
        await postgres.ExecuteAsync($"""
            DELETE FROM orleansstorage WHERE serviceid = '{ServiceId}';
            INSERT INTO orleansstorage (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
            SELECT i, i, 0, 0, 'pgbench', 'acct-' || i, '{ServiceId}', decode(repeat('ab', {payloadBytes}), 'hex'), now(), 1
            FROM generate_series(1, {Rows}) AS i;
            """);

        // VACUUM cannot share a multi-statement batch.
        await postgres.ExecuteAsync("VACUUM ANALYZE orleansstorage");
    }

    public static async Task<LoadResult> RunAsync(LocalPostgres postgres, int clients, int payloadBytes, TimeSpan duration, string workDirectory)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var script = Path.Combine(workDirectory, "grain-write.sql");
        await File.WriteAllTextAsync(script, $"""
            \set id random(1, {Rows})
            SELECT orleans_storage_write(:id, :id, 0, 0, 'pgbench', 'acct-' || :id, '{ServiceId}', (SELECT version FROM orleansstorage WHERE grainidhash = :id AND graintypehash = 0 AND grainidn0 = :id AND grainidn1 = 0 AND serviceid = '{ServiceId}' AND graintypestring = 'pgbench' AND grainidextensionstring = 'acct-' || :id), decode(repeat('ab', {payloadBytes}), 'hex'));
            """);
        var logDirectory = Path.Combine(workDirectory, $"pgbench-{clients}");
        Directory.CreateDirectory(logDirectory);
        var cpuBefore = CpuSampler.Sample();
        var output = await Shell.RunAsync(postgres.Binary("pgbench"),
        [
            "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture),
            "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-f", script, "-l", "--log-prefix", Path.Combine(logDirectory, "log"), LocalPostgres.Database,
        ]);

        var cpuAfter = CpuSampler.Sample();
        var tps = double.Parse(TpsPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var latencies = Directory.GetFiles(logDirectory)
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 2)
            .Select(fields => double.Parse(fields[2], CultureInfo.InvariantCulture) / 1000.0)
            .Order()
            .ToArray();
        Directory.Delete(logDirectory, recursive: true);
        var operations = (long)(tps * duration.TotalSeconds);
        return new LoadResult(clients, operations, 0, duration, Percentile(latencies, 0.5), Percentile(latencies, 0.99))
        {
            Cpu = CpuSampler.PerOperation(cpuBefore, cpuAfter, operations, duration),
        };
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();
}
