using System.Diagnostics;
using ReliableMessaging.Atm.Faults;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Deployment.Tests.Chaos;

/// <summary>
/// The chaos run counts the faults it injected, and its test requires each kind: a fault that comes due
/// after the ATMs stopped (slow faults before it push it back) would be counted while no request ran under
/// it. These drive the injector against a stand-in for cluster.sh that only writes down its commands.
/// </summary>
public sealed class FaultInjectorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rm-faults-").FullName;

    private string CommandLog => Path.Combine(_directory, "commands.log");

    private (FaultInjector Injector, RunCounters Counters, OperationJournal Journal) Injector()
    {
        var script = Path.Combine(_directory, "cluster.sh");
        // Called as: cluster.sh --run-dir <dir> <command> [arguments]
        File.WriteAllText(script, "#!/usr/bin/env bash\nshift 2\necho \"$*\" >> \"" + CommandLog + "\"\n");
        var plan = new FaultPlan(Duration: TimeSpan.FromSeconds(1), KillEvery: TimeSpan.FromMilliseconds(300), RestartAfter: TimeSpan.Zero,
            PostgresRestarts: 1, PostgresDown: TimeSpan.Zero, StorageFaultsEvery: TimeSpan.Zero);
        var counters = new RunCounters();
        var journal = new OperationJournal();
        return (new FaultInjector(new ClusterControl(script, _directory), 3, plan, counters, journal, _ => { }, seed: 7), counters, journal);
    }

    private string[] Commands() => File.Exists(CommandLog) ? File.ReadAllLines(CommandLog) : [];

    [Fact]
    public async Task RunAsync_TrafficStillRunning_InjectsEveryScheduledFault()
    {
        var (injector, counters, journal) = Injector();

        await injector.RunAsync(Stopwatch.StartNew(), CancellationToken.None);

        Assert.Equal(3, injector.Schedule.Count);
        Assert.Equal(["kill", "restart", "restart-postgres", "kill", "restart"], Commands().Select(line => line.Split(' ')[0]));
        Assert.Equal((2, 1, 0), (counters[Counter.SiloKills], counters[Counter.PostgresRestarts], counters[Counter.FaultErrors]));
        Assert.Empty(journal.SetupErrors);
    }

    [Fact]
    public async Task RunAsync_FaultsComingDueAfterTheTrafficEnded_NotInjectedAndReportedAsRunErrors()
    {
        var (injector, counters, journal) = Injector();
        injector.TrafficEnded(TimeSpan.Zero);

        await injector.RunAsync(Stopwatch.StartNew(), CancellationToken.None);

        Assert.Empty(Commands());
        Assert.Equal((0, 0, 3), (counters[Counter.SiloKills], counters[Counter.PostgresRestarts], counters[Counter.FaultErrors]));
        Assert.Equal(3, journal.SetupErrors.Count);
        Assert.All(journal.SetupErrors, error => Assert.Contains("after the traffic ended", error, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
