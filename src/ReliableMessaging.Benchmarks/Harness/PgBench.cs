using System.Globalization;
using System.Text.RegularExpressions;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// The physical limit: pgbench performing the same single-row write a grain-state write performs
/// (the project's own <c>orleans_storage_write</c> function, same payload size, one statement per
/// transaction, on 10,000 rows) at a given number of clients, and the CPU it takes per write. Run
/// in pgbench's default (simple) protocol, which parses and plans every statement, and prepared,
/// as the silo's connections run it.
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

    /// <summary>How the baseline is named in the report.</summary>
    public static string Describe(PgBenchProtocol protocol) => protocol switch
    {
        PgBenchProtocol.Simple => "pgbench",
        PgBenchProtocol.Prepared => "pgbench -M prepared",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    public static async Task<LoadResult> RunAsync(LocalPostgres postgres, int clients, int payloadBytes, PgBenchProtocol protocol, TimeSpan duration, string workDirectory)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var script = Path.Combine(workDirectory, "grain-write.sql");
        await File.WriteAllTextAsync(script, $"""
            \set id random(1, {Rows})
            SELECT orleans_storage_write(:id, :id, 0, 0, 'pgbench', 'acct-' || :id, '{ServiceId}', (SELECT version FROM orleansstorage WHERE grainidhash = :id AND graintypehash = 0 AND grainidn0 = :id AND grainidn1 = 0 AND serviceid = '{ServiceId}' AND graintypestring = 'pgbench' AND grainidextensionstring = 'acct-' || :id), decode(repeat('ab', {payloadBytes}), 'hex'));
            """);
        var logDirectory = Path.Combine(workDirectory, $"pgbench-{clients}");
        Directory.CreateDirectory(logDirectory);
        var run = ProcessRunner.RunAsync(postgres.Binary("pgbench"),
        [
            "-h", "127.0.0.1", "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-n", "-M", protocol == PgBenchProtocol.Prepared ? "prepared" : "simple", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, 2).ToString(CultureInfo.InvariantCulture),
            "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-f", script, "-l", "--log-prefix", Path.Combine(logDirectory, "log"), LocalPostgres.Database,
        ], null, Timeout.InfiniteTimeSpan);

        // pgbench's server backends live only while it runs: sample inside the run, a second in
        // from each end, so PostgreSQL's CPU per write is known for the baseline too.
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, duration.Ticks / 4));
        await Task.Delay(margin);
        var cpuBefore = CpuSampler.Sample();
        var sampled = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(duration - margin - margin);
        var cpuAfter = CpuSampler.Sample();
        var sampledFor = sampled.Elapsed;
        var output = (await run).EnsureSucceeded().StandardOutput;
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
        return new LoadResult(clients, operations, 0, duration, Latencies.Percentile(latencies, 0.5), Latencies.Percentile(latencies, 0.99))
        {
            Cpu = CpuSampler.PerOperation(cpuBefore, cpuAfter, (long)(tps * sampledFor.TotalSeconds), sampledFor),
        };
    }


    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();
}
