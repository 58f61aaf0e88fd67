using System.Diagnostics.Metrics;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Silo.Journal;

/// <summary>The journal writer's metrics, on the project's meter (<c>ReliableMessaging.Accounts</c>).</summary>
internal static class JournalMetrics
{
    /// <summary>The journal's lag gauge, registered per writer by <see cref="ObserveQueue"/>.</summary>
    public const string QueuedName = "reliablemessaging.journal.queued";

    private static readonly Meter Meter = new(TelemetryNames.AccountsMeter);

    /// <summary>Records carried by one journal insert (one round trip for all of them).</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "reliablemessaging.journal.batch.size", "{record}", "Records carried by one journal insert (one round trip, across accounts).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048] });

    /// <summary>Records appended to the journal (re-sent ones count again).</summary>
    public static readonly Counter<long> Appended = Meter.CreateCounter<long>(
        "reliablemessaging.journal.appended", "{record}", "Records appended to the operation journal.");

    /// <summary>Journal inserts that failed; their records wait in the accounts' windows and are re-sent.</summary>
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "reliablemessaging.journal.append.failures", "{insert}", "Journal inserts that failed (the records wait in the windows and are re-sent).");

    /// <summary>Registers the journal lag: records handed to the writer and not yet confirmed.</summary>
    public static void ObserveQueue(Func<long> queued) =>
        Meter.CreateObservableGauge(QueuedName, queued, "{record}", "Records handed to the journal writer and not yet written.");
}
