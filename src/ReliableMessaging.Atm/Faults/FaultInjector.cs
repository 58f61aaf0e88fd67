using System.Diagnostics;
using System.Globalization;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Atm.Faults;

/// <summary>
/// Injects the failures the product exists for while the ATMs play, one at a time so that each is
/// clearly attributable: SIGKILL a random silo and start it again, pause a random silo (SIGSTOP, then
/// SIGCONT), restart PostgreSQL, optionally cut the database connections under in-flight writes, and
/// hang one silo's way to the database (through the proxies of <c>cluster.sh --db-path-proxies</c>).
/// </summary>
public sealed class FaultInjector
{
    // How long a continued silo may take to notice that it was declared dead and exit.
    private static readonly TimeSpan StopAfterResume = TimeSpan.FromSeconds(30);

    private readonly ClusterControl _cluster;
    private readonly int _siloCount;
    private readonly TimeSpan _restartAfter;
    private readonly TimeSpan _postgresDown;
    private readonly TimeSpan _pauseFor;
    private readonly TimeSpan _stepOutWait;
    private readonly RunCounters _counters;
    private readonly OperationJournal _journal;
    private readonly Action<string> _report;
    private readonly Random _random;
    private readonly List<(TimeSpan At, FaultKind Kind)> _schedule;
    private long _trafficEndedTicks = -1;

    public FaultInjector(
        ClusterControl cluster, int siloCount, FaultPlan plan, RunCounters counters, OperationJournal journal, Action<string> report, int seed)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _cluster = cluster;
        _siloCount = siloCount;
        _restartAfter = plan.RestartAfter;
        _postgresDown = plan.PostgresDown;
        _pauseFor = plan.PauseFor;
        _stepOutWait = plan.StepOutWait > TimeSpan.Zero ? plan.StepOutWait : TimeSpan.FromSeconds(90);
        _counters = counters;
        _journal = journal;
        _report = report;
        _random = new Random(seed);
        _schedule = plan.Schedule();
    }

    public IReadOnlyList<(TimeSpan At, FaultKind Kind)> Schedule => _schedule;

    /// <summary>
    /// The ATMs stopped at <paramref name="at"/> on the schedule's clock. Faults run one after another,
    /// so slow ones push the later ones back; one that would start now has no request to run under,
    /// proves nothing, and is not injected: the run reports it as an error instead of counting it.
    /// </summary>
    public void TrafficEnded(TimeSpan at) => Interlocked.Exchange(ref _trafficEndedTicks, at.Ticks);

    /// <summary>Runs the schedule from <paramref name="clock"/>'s start; returns when every fault is injected and healed.</summary>
    public async Task RunAsync(Stopwatch clock, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(clock);
        foreach (var (at, kind) in _schedule)
        {
            var wait = at - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, abort);
            }

            if (Interlocked.Read(ref _trafficEndedTicks) is var endedTicks and >= 0)
            {
                var ended = TimeSpan.FromTicks(endedTicks);
                var late = string.Create(CultureInfo.InvariantCulture,
                    $"{kind} (scheduled at {at.TotalSeconds:0.#} s) came due at {clock.Elapsed.TotalSeconds:0.#} s, after the traffic ended at {ended.TotalSeconds:0.#} s: not injected (no request would run under it); lengthen --duration or --fault-overrun, or schedule fewer faults");
                _counters.Increment(Counter.FaultErrors);
                _journal.AddSetupError("fault " + late);
                _report("fault: " + late);
                continue;
            }

            switch (kind)
            {
                case FaultKind.SiloKill:
                    await KillAndRestartSiloAsync(abort);
                    break;
                case FaultKind.SiloPause:
                    await PauseSiloAsync(abort);
                    break;
                case FaultKind.PostgresRestart:
                    await RunAsync(Counter.PostgresRestarts, $"restart PostgreSQL ({_postgresDown.TotalSeconds:0.#} s down)", abort,
                        "restart-postgres", ((int)Math.Ceiling(_postgresDown.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
                    break;
                case FaultKind.StorageFault:
                    await RunAsync(Counter.StorageFaults, "terminate the service database's connections", abort, "terminate-backends");
                    break;
                case FaultKind.DatabasePathHang:
                    await HangDatabasePathAsync(abort);
                    break;
            }
        }
    }

    private async Task KillAndRestartSiloAsync(CancellationToken abort)
    {
        var silo = _random.Next(1, _siloCount + 1).ToString(CultureInfo.InvariantCulture);
        if (!await RunAsync(Counter.SiloKills, $"SIGKILL silo {silo}", abort, "kill", silo))
        {
            return;
        }

        await Task.Delay(_restartAfter, abort);
        await RunAsync(Counter.SiloRestarts, $"restart silo {silo}", abort, "restart", silo);
    }

    // A silo paused longer than failure detection takes is declared dead meanwhile; once continued it
    // learns so and stops itself, and is then started again as a new generation (as after a kill).
    private async Task PauseSiloAsync(CancellationToken abort)
    {
        var silo = _random.Next(1, _siloCount + 1).ToString(CultureInfo.InvariantCulture);
        if (!await RunAsync(Counter.SiloPauses, $"SIGSTOP silo {silo} for {_pauseFor.TotalSeconds:0.#} s", abort, "pause", silo))
        {
            return;
        }

        try
        {
            await Task.Delay(_pauseFor, abort);
        }
        catch (OperationCanceledException)
        {
            // The run is being aborted: never leave a silo stopped behind.
            await _cluster.RunAsync(CancellationToken.None, "resume", silo);
            throw;
        }

        if (!await RunAsync(null, $"SIGCONT silo {silo}", abort, "resume", silo))
        {
            return;
        }

        _report($"fault: waiting up to {StopAfterResume.TotalSeconds:0} s for silo {silo} to find itself declared dead and stop");
        var (stopped, _) = await _cluster.RunAsync(abort, "wait-exit", silo, ((int)StopAfterResume.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        if (!stopped)
        {
            _report($"fault: silo {silo} still runs after its pause (it was not declared dead)");
            return;
        }

        _counters.Increment(Counter.PausedSilosStopped);
        _report($"fault: silo {silo} stopped itself after its pause");
        await RunAsync(Counter.SiloRestarts, $"restart silo {silo}", abort, "restart", silo);
    }

    // Orleans keeps a silo whose own way to the database hangs (it answers its peers' probes); its
    // database path monitor must take it out of the cluster, and its accounts move. The path heals
    // whatever happens, and a silo that stepped out is started again through it.
    private async Task HangDatabasePathAsync(CancellationToken abort)
    {
        var silo = _random.Next(1, _siloCount + 1).ToString(CultureInfo.InvariantCulture);
        var healed = false;
        try
        {
            if (!await RunAsync(Counter.DatabasePathHangs, $"hang silo {silo}'s way to PostgreSQL", abort, "hang-db-path", silo))
            {
                return;
            }

            _report($"fault: waiting up to {_stepOutWait.TotalSeconds:0} s for silo {silo} to step out of the cluster");
            var (steppedOut, _) = await _cluster.RunAsync(abort, "wait-exit", silo, ((int)Math.Ceiling(_stepOutWait.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
            abort.ThrowIfCancellationRequested();
            if (steppedOut)
            {
                _counters.Increment(Counter.SilosSteppedOut);
                _report($"fault: silo {silo} stepped out of the cluster while its path hung");
            }
            else
            {
                _report($"fault: silo {silo} still runs after {_stepOutWait.TotalSeconds:0} s with its path hung (it did not step out)");
            }

            healed = await RunAsync(null, $"heal silo {silo}'s way to PostgreSQL", abort, "heal-db-path", silo);
            if (healed && steppedOut)
            {
                await RunAsync(Counter.SiloRestarts, $"restart silo {silo}", abort, "restart", silo);
            }
        }
        finally
        {
            if (!healed)
            {
                // Never leave a path hung behind: not after an aborted run, a failed heal, or a failed
                // hang (cluster.sh asks the proxy first and then waits for it, so it may hang anyway).
                var (succeeded, output) = await _cluster.RunAsync(CancellationToken.None, "heal-db-path", silo);
                _report($"fault: heal silo {silo}'s way to PostgreSQL (cleanup): {(succeeded ? "done" : output)}");
            }
        }
    }

    private async Task<bool> RunAsync(Counter? counter, string description, CancellationToken abort, params string[] arguments)
    {
        _report($"fault: {description}");
        var (succeeded, output) = await _cluster.RunAsync(abort, arguments);
        if (succeeded)
        {
            if (counter is { } succeededCounter)
            {
                _counters.Increment(succeededCounter);
            }

            _report($"fault: {description}: done");
            return true;
        }

        _counters.Increment(Counter.FaultErrors);
        _journal.AddSetupError($"fault '{description}' failed: {output}");
        _report($"fault: {description}: FAILED: {output}");
        return false;
    }
}
