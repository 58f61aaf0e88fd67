using System.Globalization;
using Xunit.Abstractions;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>
/// A cluster of silo processes and the front end started by scripts/cluster.sh on free ports and a
/// throwaway PostgreSQL, for tests that need real processes (SIGKILL, SIGSTOP). Disposing stops
/// everything; <c>--owner-pid</c> stops it too if the test process dies first.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly ITestOutputHelper _output;
    private readonly string _work;

    private ProcessCluster(ITestOutputHelper output, string work, int apiPort, int siloBasePort, int postgresPort)
    {
        _output = output;
        _work = work;
        ApiPort = apiPort;
        SiloBasePort = siloBasePort;
        PostgresPort = postgresPort;
    }

    public string RunDirectory => Path.Combine(_work, "run");

    public int ApiPort { get; }

    public Uri ApiUri => new($"http://127.0.0.1:{ApiPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>Silo K listens on this + K - 1.</summary>
    public int SiloBasePort { get; }

    /// <summary>Silo K's gateway is this + K - 1 (right after the silo ports).</summary>
    public int GatewayBasePort => SiloBasePort + 3;

    public int PostgresPort { get; }

    /// <summary>The certificate silos and front end use for their mutual TLS (cluster.sh makes it on start).</summary>
    public string TlsCertificatePath => Path.Combine(RunDirectory, "cluster-tls.pfx");

    public string ConnectionString => string.Create(CultureInfo.InvariantCulture,
        $"Host=127.0.0.1;Port={PostgresPort};Database=reliablemessaging;Username=postgres;Pooling=false");

    /// <summary>
    /// Starts three silos and the front end; <paramref name="environment"/> reaches every process
    /// (and cluster.sh: <c>RM_DB_PATH_PROXIES=1</c> puts a proxy on each silo's way to PostgreSQL).
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var work = Path.Combine(Path.GetTempPath(), $"rm-cluster-{Guid.NewGuid():N}");
        // One block for both: silo ports first, gateways right after, so they cannot overlap.
        var cluster = new ProcessCluster(output, work, FreePorts.One(), FreePorts.Block(6), FreePorts.One());
        var start = await ScriptAsync(environment, StartTimeout,
            "--run-dir", cluster.RunDirectory,
            "--pg-dir", Path.Combine(work, "postgres"),
            "--pg-port", cluster.PostgresPort.ToString(CultureInfo.InvariantCulture),
            "--silo-port", cluster.SiloBasePort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", cluster.GatewayBasePort.ToString(CultureInfo.InvariantCulture),
            "--api-port", cluster.ApiPort.ToString(CultureInfo.InvariantCulture),
            "--configuration", BuiltOutputs.Configuration,
            "--no-build",
            "--owner-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            "start", "3");
        if (start.ExitCode != 0)
        {
            // A process that crashed prints its reason first and a long stack after: the tails alone miss it.
            var crashes = cluster.LogLines(line => line.Contains("Unhandled exception", StringComparison.Ordinal)
                || line.Contains("Process terminated", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal), max: 3);
            var tails = cluster.LogTails();
            await cluster.DisposeAsync();
            // The reason last: a CI log shows the end of a long message.
            throw new InvalidOperationException($"cluster.sh start failed.\n{tails}\n--- crashes\n{crashes}\n--- cluster.sh\n{start.Output}");
        }

        return cluster;
    }

    /// <summary>Runs a cluster.sh subcommand (kill, pause, resume, wait-exit, membership...) on this cluster.</summary>
    public Task<ProcessResult> RunAsync(params string[] arguments) =>
        ScriptAsync(null, TimeSpan.FromMinutes(2), ["--run-dir", RunDirectory, .. arguments]);

    /// <summary>A bearer token for the front end with every scope on every account.</summary>
    public async Task<string> TokenAsync(string subject)
    {
        var token = await RunAsync("token", "--expires-in", "1h", "--subject", subject);
        if (token.ExitCode != 0)
        {
            throw new InvalidOperationException($"cluster.sh token failed:\n{token.Output}");
        }

        return token.Output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>The membership rows: "address:port generation status name" per line.</summary>
    public async Task<string> MembershipAsync() => (await RunAsync("membership")).Output;

    /// <summary>The last lines of every process log, for failure messages.</summary>
    public string LogTails()
    {
        if (!Directory.Exists(RunDirectory))
        {
            return string.Empty;
        }

        return string.Join('\n', Directory.GetFiles(RunDirectory, "*.log").Order().Select(log =>
            $"--- {Path.GetFileName(log)}\n{string.Join('\n', File.ReadLines(log).TakeLast(25))}"));
    }

    /// <summary>The lines of every log that <paramref name="match"/> (at most <paramref name="max"/> each, with the next few for stack traces).</summary>
    public string LogLines(Func<string, bool> match, int max = 5)
    {
        if (!Directory.Exists(RunDirectory))
        {
            return string.Empty;
        }

        return string.Join('\n', Directory.GetFiles(RunDirectory, "*.log").Order().Select(log =>
        {
            var lines = File.ReadAllLines(log);
            var hits = Enumerable.Range(0, lines.Length).Where(i => match(lines[i])).Take(max)
                .Select(i => string.Join('\n', lines.Skip(i).Take(6)));
            return $"--- {Path.GetFileName(log)}\n{string.Join('\n', hits)}";
        }));
    }

    public async ValueTask DisposeAsync()
    {
        var stop = await RunAsync("stop");
        _output.WriteLine(stop.Output);
        try
        {
            if (Directory.Exists(_work))
            {
                Directory.Delete(_work, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; the processes are already stopped.
        }
        catch (UnauthorizedAccessException)
        {
            // PostgreSQL's files belong to the postgres user when running as root; the OS cleans /tmp.
        }
    }

    private static Task<ProcessResult> ScriptAsync(IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, params string[] arguments) =>
        ProcessRunner.RunAsync("bash", [RepositoryPaths.Combine("scripts", "cluster.sh"), .. arguments], environment, timeout, workingDirectory: RepositoryPaths.Root);
}
