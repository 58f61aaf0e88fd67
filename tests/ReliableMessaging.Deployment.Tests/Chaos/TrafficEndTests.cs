using System.Diagnostics;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Deployment.Tests.Chaos;

/// <summary>
/// The chaos run's traffic stops at its duration, or goes on while scheduled faults are still being
/// injected (a slow host pushed them back) until they are done and a tail more, never past the overrun.
/// Real time, with bounds far apart so that a noisy machine cannot blur them.
/// </summary>
public sealed class TrafficEndTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // A timer may fire a little early by the stopwatch's clock (a CI run saw 299.9 ms for a 300 ms delay).
    private static readonly TimeSpan Early = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task FaultsDoneBeforeTheDuration_StopsAtTheDurationWithoutTail()
    {
        var reports = new List<string>();
        var clock = Stopwatch.StartNew();

        var past = await TrafficEnd.WaitAsync(Duration, TimeSpan.FromMinutes(1), tail: TimeSpan.FromMinutes(1), Task.CompletedTask, reports.Add, CancellationToken.None)
            .WaitAsync(Patience);

        Assert.True(clock.Elapsed >= Duration - Early);
        Assert.Equal(TimeSpan.Zero, past);
        Assert.Empty(reports);
    }

    [Fact]
    public async Task FaultsStillRunningAtTheDuration_GoesOnUntilTheyAreDoneAndTheTail_NotToTheOverrun()
    {
        var faults = new TaskCompletionSource();
        var reports = new List<string>();
        var clock = Stopwatch.StartNew();
        var tail = TimeSpan.FromMilliseconds(500);

        var end = TrafficEnd.WaitAsync(Duration, TimeSpan.FromMinutes(5), tail, faults.Task, reports.Add, CancellationToken.None);
        await Task.Delay(Duration * 4);
        Assert.False(end.IsCompleted, "the traffic stopped while a fault was still being injected");
        var faultsDone = clock.Elapsed;
        faults.SetResult();
        var past = await end.WaitAsync(Patience);

        Assert.True(clock.Elapsed >= faultsDone + tail - Early, $"stopped {clock.Elapsed - faultsDone} after the faults ended, before the tail");
        Assert.True(past < TimeSpan.FromMinutes(1), $"went on {past} past the duration");
        Assert.Equal(2, reports.Count);
        Assert.Contains("at most 300 s more", reports[0], StringComparison.Ordinal);
        Assert.Contains("the scheduled faults are done", reports[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FaultsNeverDone_StopsAtTheOverrunAndSaysTheRestIsNotInjected()
    {
        var faults = new TaskCompletionSource();
        var reports = new List<string>();
        var clock = Stopwatch.StartNew();
        var overrun = TimeSpan.FromMilliseconds(400);

        var past = await TrafficEnd.WaitAsync(Duration, overrun, tail: TimeSpan.FromMinutes(1), faults.Task, reports.Add, CancellationToken.None)
            .WaitAsync(Patience);

        Assert.True(clock.Elapsed >= Duration + overrun - Early);
        Assert.True(past >= overrun - Early && past < TimeSpan.FromMinutes(1), $"went on {past} past the duration");
        Assert.Contains("faults still due are not injected", reports[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoOverrun_StopsAtTheDurationWhateverTheFaults()
    {
        var faults = new TaskCompletionSource();

        var past = await TrafficEnd.WaitAsync(Duration, TimeSpan.Zero, tail: TimeSpan.FromMinutes(1), faults.Task, _ => { }, CancellationToken.None)
            .WaitAsync(Patience);

        Assert.Equal(TimeSpan.Zero, past);
    }

    [Fact]
    public async Task AbortedWhileGoingOn_Throws()
    {
        var faults = new TaskCompletionSource();
        using var abort = new CancellationTokenSource();
        var reports = new List<string>();

        var end = TrafficEnd.WaitAsync(Duration, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1), faults.Task, reports.Add, abort.Token);
        await Task.Delay(Duration * 4);
        await abort.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => end.WaitAsync(Patience));
    }
}
