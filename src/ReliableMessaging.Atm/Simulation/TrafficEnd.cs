using System.Globalization;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>
/// When the ATMs stop issuing new operations: at <c>--duration</c>, unless scheduled faults are still
/// being injected then. Faults run one after another, and a slow host pushes the later ones back (a
/// silo's restart takes 12-15 s on an idle machine, up to a minute in CI runs of the whole suite); a
/// fault injected after the traffic proves nothing and is a run error. So the traffic goes on until the
/// last fault is done and a short tail more (requests over its recovery too), but never longer than
/// <c>--fault-overrun</c> past the duration: faults still due then are not injected, and reported.
/// </summary>
public static class TrafficEnd
{
    /// <summary>Traffic after the last fault that made the run go on past its duration.</summary>
    public static readonly TimeSpan Tail = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Returns when the traffic is to stop, and how long past <paramref name="duration"/> that is.
    /// <paramref name="faults"/> completes once every scheduled fault is injected and healed (a failed
    /// one too: its error is the fault task's, observed by whoever awaits it).
    /// </summary>
    public static async Task<TimeSpan> WaitAsync(
        TimeSpan duration, TimeSpan overrun, TimeSpan tail, Task faults, Action<string> report, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(report);
        await Task.Delay(duration, abort);
        if (faults.IsCompleted || overrun <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var past = System.Diagnostics.Stopwatch.StartNew();
        report(string.Create(CultureInfo.InvariantCulture,
            $"traffic goes on past --duration while faults are still being injected (at most {overrun.TotalSeconds:0} s more, --fault-overrun)"));
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var limit = Task.Delay(overrun, stopWaiting.Token);
        if (await Task.WhenAny(faults, limit) == faults)
        {
            await Task.WhenAny(Task.Delay(tail, stopWaiting.Token), limit);
        }

        abort.ThrowIfCancellationRequested();
        var done = faults.IsCompleted;
        await stopWaiting.CancelAsync();
        report(string.Create(CultureInfo.InvariantCulture,
            $"traffic ends {past.Elapsed.TotalSeconds:0.#} s past --duration: {(done ? "the scheduled faults are done" : "faults still due are not injected")}"));
        return past.Elapsed;
    }
}
