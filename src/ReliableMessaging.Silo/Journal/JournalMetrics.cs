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

    /// <summary>Why an insert failed (tag <see cref="ReasonTag"/>): the database could not serve now, and a later attempt may succeed.</summary>
    public const string Outage = "outage";

    /// <summary>The database refused one account's rows (a constraint): every attempt fails alike until an operator looks.</summary>
    public const string Refusal = "refusal";

    /// <summary>Neither (a missing grant or migration, a bug): every attempt fails alike, and accounts answer errors at their bound.</summary>
    public const string Error = "error";

    /// <summary>The tag of <see cref="Failures"/>: <see cref="Outage"/>, <see cref="Refusal"/> or <see cref="Error"/>.</summary>
    public const string ReasonTag = "reason";

    /// <summary>Journal inserts that failed, by <see cref="ReasonTag"/>; their records wait in the accounts' windows and are re-sent.</summary>
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "reliablemessaging.journal.append.failures", "{insert}", "Journal inserts that failed, by reason (the records wait in the windows and are re-sent).");

    /// <summary>
    /// Starts each reason's series at zero, so that the first failure is an increase an alert sees (a series
    /// that appears with its first count shows none).
    /// </summary>
    public static void StartFailureSeries()
    {
        foreach (var reason in (string[])[Outage, Refusal, Error])
        {
            Failures.Add(0, new KeyValuePair<string, object?>(ReasonTag, reason));
        }
    }

    /// <summary>Counts one failed insert.</summary>
    public static void Failed(string reason) => Failures.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    /// <summary>Registers the journal lag: records handed to the writer and not yet confirmed.</summary>
    public static void ObserveQueue(Func<long> queued) =>
        Meter.CreateObservableGauge(QueuedName, queued, "{record}", "Records handed to the journal writer and not yet written.");
}
