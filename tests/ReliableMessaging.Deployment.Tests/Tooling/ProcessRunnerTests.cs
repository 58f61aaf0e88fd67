using System.Diagnostics;
using System.Globalization;

namespace ReliableMessaging.Deployment.Tests.Tooling;

/// <summary>The toolbox's process runner: what the tests, the benchmark and the simulator rely on when they run scripts.</summary>
public sealed class ProcessRunnerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunAsync_CommandWritesBothStreamsAndFails_CapturedApartAndTogetherAndEnsureSucceededThrows()
    {
        var lines = new List<string>();

        var result = await ProcessRunner.RunAsync("bash", ["-c", "echo out; echo err >&2; exit 3"], null, Generous, line => { lock (lines) { lines.Add(line); } });

        Assert.Equal((3, false, false), (result.ExitCode, result.TimedOut, result.Succeeded));
        Assert.Equal(("out", "err"), (result.StandardOutput.Trim(), result.StandardError.Trim()));
        Assert.Equal(["err", "out"], result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal(["err", "out"], lines.Order());
        var failure = Assert.Throws<InvalidOperationException>(() => result.EnsureSucceeded());
        Assert.Contains("exited with 3", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EnvironmentAndWorkingDirectory_ReachTheChild()
    {
        var directory = Path.GetTempPath();

        var result = await ProcessRunner.RunAsync(
            "bash", ["-c", "echo \"$RM_TOOLBOX_TEST\"; pwd -P"], new Dictionary<string, string> { ["RM_TOOLBOX_TEST"] = "passed" }, Generous, workingDirectory: directory);

        Assert.Equal(["passed", Path.GetFullPath(directory).TrimEnd('/')], result.EnsureSucceeded().StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task RunAsync_PastItsDeadline_KillsTheWholeTreeAndSaysTimedOut()
    {
        // The script starts a grandchild that would outlive it, prints its ID and waits.
        var result = await ProcessRunner.RunAsync("bash", ["-c", "sleep 300 & echo $!; wait"], null, TimeSpan.FromSeconds(2));

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        await AssertGoneAsync(int.Parse(result.StandardOutput.Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsTheTreeAndThrows()
    {
        using var cancel = new CancellationTokenSource();
        var pids = new List<int>();
        var run = ProcessRunner.RunAsync("bash", ["-c", "sleep 300 & echo $!; wait"], null, Generous, line =>
        {
            lock (pids)
            {
                pids.Add(int.Parse(line, CultureInfo.InvariantCulture));
            }

            // Cancel once the grandchild is known to run.
            cancel.Cancel();
        }, cancellationToken: cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        await AssertGoneAsync(Assert.Single(pids));
    }

    [Fact]
    public async Task BackgroundProcess_Disposed_KilledWithItsChildren()
    {
        var log = Path.Combine(Path.GetTempPath(), $"rm-toolbox-{Guid.NewGuid():N}.log");
        try
        {
            int id;
            await using (var process = BackgroundProcess.Start("bash", ["-c", "sleep 300 & wait"], null, Path.GetTempPath(), log))
            {
                id = process.Id;
                Assert.False(process.HasExited);
            }

            await AssertGoneAsync(id);
            Assert.True(File.Exists(log));
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void RepositoryPaths_FromTheTestBinaries_FindsTheSolution_AndNothingOutsideARepository()
    {
        Assert.True(File.Exists(RepositoryPaths.Combine("ReliableMessaging.sln")));
        Assert.Null(RepositoryPaths.TryFind("/"));
    }

    [Fact]
    public void FreePorts_Block_EveryPortOfItCanBeBound()
    {
        var first = FreePorts.Block(6);

        for (var port = first; port < first + 6; port++)
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
        }
    }

    [Fact]
    public void FreePorts_NeverInTheRangesTheTestingHostGivesItsClusters()
    {
        // The in-process test clusters of another test project pick their ports in those ranges at the
        // same time, by a check as weak as ours: a port free for both would go to whichever binds first.
        var ports = Enumerable.Range(0, 200).Select(_ => FreePorts.One())
            .Concat(Enumerable.Range(0, 200).SelectMany(_ => Enumerable.Range(FreePorts.Block(6), 6)))
            .ToList();

        Assert.DoesNotContain(ports, FreePorts.IsTestingHostPort);
        Assert.True(FreePorts.IsTestingHostPort(12_000) && FreePorts.IsTestingHostPort(21_999) && FreePorts.IsTestingHostPort(22_300) && FreePorts.IsTestingHostPort(29_999));
        Assert.False(FreePorts.IsTestingHostPort(11_999) || FreePorts.IsTestingHostPort(22_000) || FreePorts.IsTestingHostPort(30_000));
    }

    /// <summary>
    /// The process is dead: gone, or a zombie (killed, waiting for init to reap it). A SIGKILL takes effect
    /// when the process is next scheduled and this test is not its parent, so nothing signals it: the check
    /// is repeated for a few seconds at most.
    /// </summary>
    private static async Task AssertGoneAsync(int processId)
    {
        var clock = Stopwatch.StartNew();
        while (IsRunning(processId))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"process {processId} outlived the kill");
            await Task.Delay(50);
        }
    }

    private static bool IsRunning(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (IOException)
        {
            return false; // no such process (DirectoryNotFoundException and FileNotFoundException are IOExceptions)
        }

        // "pid (name) S ...": the state follows the command name, which may itself contain spaces.
        var state = stat[(stat.LastIndexOf(')') + 2)..][0];
        return state is not ('Z' or 'X');
    }
}
