using System.Diagnostics;
using System.Globalization;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Atm.Reporting;

/// <summary>Prints a timestamped line: progress every period, and events (faults) as they happen.</summary>
public sealed class ProgressReporter(TextWriter output, Stopwatch clock, RunCounters counters)
{
    private readonly Lock _gate = new();

    public void Event(string message)
    {
        lock (_gate)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:0.0}s] {message}"));
            output.Flush();
        }
    }

    public async Task RunAsync(TimeSpan period, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Event(Line());
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over; the summary follows.
        }
    }

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"ops {counters[Counter.OperationsIssued]:N0}  retries {counters[Counter.Retries]:N0}  replays {counters[Counter.Replays]:N0}  " +
        $"timeouts {counters[Counter.Timeouts]:N0}  503 {counters[Counter.StorageUnavailable] + counters[Counter.ClusterUnavailable]:N0}  " +
        $"kills {counters[Counter.SiloKills]}  pauses {counters[Counter.SiloPauses]}  pg-restarts {counters[Counter.PostgresRestarts]}  conn-kills {counters[Counter.StorageFaults]}");
}
