using System.Globalization;

namespace ReliableMessaging.Deployment.Tests.Cluster;

/// <summary>
/// scripts/cluster.sh signals only the processes it started: a pid file left behind (a silo that stepped
/// out, a container restarted with .data/cluster kept) may name a pid the system has since given to an
/// unrelated process. No PostgreSQL or silo needed: the "silo" is a sleep the test starts.
/// </summary>
public sealed class ClusterPidFileTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly string _runDirectory = Path.Combine(Path.GetTempPath(), $"rm-pidfile-{Guid.NewGuid():N}");
    private BackgroundProcess? _unrelated;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_runDirectory);
        // A one-silo cluster's settings whose PostgreSQL folder holds no cluster (stop finds nothing to stop there).
        File.WriteAllText(Path.Combine(_runDirectory, "cluster.env"), string.Join('\n',
            $"PG_DIR={Path.Combine(_runDirectory, "no-postgres")}", "PG_PORT=1", "SILO_BASE_PORT=1", "GATEWAY_BASE_PORT=1", "API_PORT=1",
            "CONFIGURATION=Release", "CLUSTER_ID=pidfile-test", "SILO_COUNT=1", "CLOCK_OFFSETS=", "SILO_PG_PORTS=", "DB_PATH_PROXIES=0", ""));
        _unrelated = BackgroundProcess.Start("sleep", ["300"], null, _runDirectory, Path.Combine(_runDirectory, "sleep.log"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_unrelated is not null)
        {
            await _unrelated.DisposeAsync();
        }

        Directory.Delete(_runDirectory, recursive: true);
    }

    [Theory]
    [InlineData("{0}")] // the pid alone (an earlier version's file) of a process this script never starts
    [InlineData("{0} 1")] // the pid with another process's start time
    public async Task Stop_PidFileNamesAnUnrelatedProcess_NeverSignalledAndStatusSaysDown(string pidFile)
    {
        await File.WriteAllTextAsync(SiloPidFile, string.Format(CultureInfo.InvariantCulture, pidFile, Unrelated.Id));

        var status = await ClusterAsync("status");
        var stop = await ClusterAsync("stop");

        Assert.Contains("silo 1: down", status.StandardOutput, StringComparison.Ordinal);
        Assert.True(stop.Succeeded, stop.Output);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(Unrelated.HasExited, "cluster.sh signalled a process it did not start");
    }

    [Fact]
    public async Task Stop_PidFileWithTheProcessesStartTime_StopsIt()
    {
        var startTime = (await File.ReadAllTextAsync($"/proc/{Unrelated.Id}/stat")).Split(") ")[1].Split(' ')[19];
        await File.WriteAllTextAsync(SiloPidFile, $"{Unrelated.Id} {startTime}");

        var status = await ClusterAsync("status");
        var stop = await ClusterAsync("stop");

        Assert.Contains($"silo 1: running (pid {Unrelated.Id}", status.StandardOutput, StringComparison.Ordinal);
        Assert.True(stop.Succeeded, stop.Output);
        Assert.True(Unrelated.HasExited, "cluster.sh did not stop the process its pid file names");
    }

    private BackgroundProcess Unrelated => _unrelated ?? throw new InvalidOperationException("Not started.");

    private string SiloPidFile => Path.Combine(_runDirectory, "silo-1.pid");

    private Task<ProcessResult> ClusterAsync(string command) =>
        ProcessRunner.RunAsync("bash", [RepositoryPaths.Combine("scripts", "cluster.sh"), "--run-dir", _runDirectory, command], null, Generous);
}
