using System.Diagnostics.Metrics;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The project's metrics (meter <c>ReliableMessaging.Accounts</c>), named and united after the
/// OpenTelemetry conventions; Prometheus shows them with <c>_total</c>, <c>_seconds</c>, <c>_bytes</c>.
/// </summary>
public static class AccountMetrics
{
    public const string MeterName = TelemetryNames.AccountsMeter;

    /// <summary>Tag: deposit, withdrawal, transfer (a transfer's start) or transfer-credit (its delivery).</summary>
    public const string KindTag = "reliablemessaging.operation.kind";

    /// <summary>Tag: executed (first execution, recorded), replayed (answered from the record) or refused (not executed, not recorded).</summary>
    public const string OutcomeTag = "reliablemessaging.operation.outcome";

    /// <summary>Tag: the status (succeeded, insufficient_funds, or the refusal's reason such as operation_id_reused).</summary>
    public const string StatusTag = "reliablemessaging.operation.status";

    /// <summary>Which persistent state a write carried: <c>account</c>, <c>transfer</c> (a transfer's index), or another grain's.</summary>
    public const string StateTag = "state";

    private static readonly Meter Meter = new(MeterName);

    private static long s_pendingTransfers;

    private static long s_overdueTransfers;

    /// <summary>
    /// Transfers that stayed pending past <c>Accounts:TransferAlertAge</c> (once per transfer and activation).
    /// Observed, so the series is there at 0 from the silo's first scrape: a counter that appeared with
    /// its first count would show an alert no increase for the first overdue transfer of each silo.
    /// </summary>
    public static readonly ObservableCounter<long> OverdueTransfers = Meter.CreateObservableCounter(
        "reliablemessaging.transfers.overdue", () => Interlocked.Read(ref s_overdueTransfers), "{transfer}",
        "Transfers pending past their alert age, once per transfer and activation of its source.");

    /// <summary>Counts one transfer found overdue.</summary>
    public static void TransferOverdue() => Interlocked.Increment(ref s_overdueTransfers);

    private static long s_overdueTransfersNow;

    /// <summary>
    /// Transfers overdue now, in the outboxes of the silo's active accounts: what the operator alert
    /// pages on for as long as one stays so. A held transfer (only an operator can end it) stays here
    /// until it is resolved; the counter above counts it once per activation, and an alert on its
    /// increase would fall silent after its window while the money is still held.
    /// </summary>
    public static readonly ObservableGauge<long> OverdueTransfersNow = Meter.CreateObservableGauge(
        "reliablemessaging.transfers.overdue.current", () => Interlocked.Read(ref s_overdueTransfersNow), "{transfer}",
        "Transfers pending past their alert age now, in the outboxes of this silo's active accounts (held ones until an operator resolves them).");

    /// <summary>An account's count of overdue transfers changed by <paramref name="delta"/> (or its activation ended).</summary>
    public static void AdjustOverdueTransfersNow(long delta) => Interlocked.Add(ref s_overdueTransfersNow, delta);

    /// <summary>
    /// Creates the instruments (the silo calls it as it starts), so that observed ones such as
    /// <see cref="OverdueTransfers"/> are reported before any account has been active.
    /// </summary>
    public static void Create() => _ = (OverdueTransfers, OverdueTransfersNow);

    /// <summary>Transfers refunded because the destination refused the credit for good.</summary>
    public static readonly Counter<long> RefundedTransfers = Meter.CreateCounter<long>("reliablemessaging.transfers.refunded");

    /// <summary>From a transfer's debit to its completion or refund.</summary>
    public static readonly Histogram<double> TransferDeliveryDuration = Meter.CreateHistogram<double>(
        "reliablemessaging.transfers.delivery.duration", "s", "From a transfer's debit to its completion or refund at the source, by outcome (completed, refunded).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });

    /// <summary>Transfers debited and not yet completed or refunded, in the outboxes of the silo's active accounts.</summary>
    public static readonly ObservableGauge<long> PendingTransfers = Meter.CreateObservableGauge(
        "reliablemessaging.transfers.pending", () => Interlocked.Read(ref s_pendingTransfers), "{transfer}",
        "Transfers debited and not yet completed or refunded, in the outboxes of this silo's active accounts.");

    /// <summary>An account's outbox grew or shrank by <paramref name="delta"/> (or its activation ended).</summary>
    public static void AdjustPendingTransfers(long delta) => Interlocked.Add(ref s_pendingTransfers, delta);

    /// <summary>The silo's current count of pending transfers (what the gauge reports).</summary>
    public static long CurrentPendingTransfers => Interlocked.Read(ref s_pendingTransfers);

    /// <summary>One transfer finished: how long it was pending, by outcome.</summary>
    public static void RecordDelivery(TransferState outcome, TimeSpan pendingFor) =>
        TransferDeliveryDuration.Record(Math.Max(0, pendingFor.TotalSeconds),
            new KeyValuePair<string, object?>("outcome", outcome == TransferState.Completed ? "completed" : "refunded"));

    /// <summary>Money operations answered by account grains, by kind, outcome and status.</summary>
    public static readonly Counter<long> Operations = Meter.CreateCounter<long>(
        "reliablemessaging.operations", "{operation}", "Money operations answered by account grains, by kind, outcome (executed, replayed, refused) and status.");

    /// <summary>Changes carried by one state write (group commit).</summary>
    public static readonly Histogram<int> CommitBatchSize = Meter.CreateHistogram<int>(
        "reliablemessaging.commit.batch.size", "{operation}", "Changes carried by one account state write (group commit).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    /// <summary>
    /// Duration of one account state write to PostgreSQL. The buckets reach past a write on a hung path
    /// (up to the connection timeout plus the 10 s command timeout), so an outage's tail is not all in +Inf.
    /// </summary>
    public static readonly Histogram<double> StateWriteDuration = Meter.CreateHistogram<double>(
        "reliablemessaging.state.write.duration", "s", "Duration of one grain state write, by outcome (ok, error) and state (account, transfer).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30] });

    /// <summary>Size of one serialized account state (the whole state is rewritten on every write).</summary>
    public static readonly Histogram<long> StateWriteSize = Meter.CreateHistogram<long>(
        "reliablemessaging.state.write.size", "By", "Size of one serialized grain state, rewritten whole on every write, by state (account, transfer).",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576] });

    /// <summary>Counts one answered operation.</summary>
    public static void RecordOperation(string kind, OperationStatus status, bool isReplay)
    {
        var outcome = isReplay ? "replayed" : status is OperationStatus.Succeeded or OperationStatus.InsufficientFunds ? "executed" : "refused";
        Operations.Add(1,
            new KeyValuePair<string, object?>(KindTag, kind),
            new KeyValuePair<string, object?>(OutcomeTag, outcome),
            new KeyValuePair<string, object?>(StatusTag, StatusName(status)));
    }

    private static string StatusName(OperationStatus status) => status switch
    {
        OperationStatus.Succeeded => "succeeded",
        OperationStatus.InsufficientFunds => "insufficient_funds",
        OperationStatus.AccountNotFound => "account_not_found",
        OperationStatus.InvalidAmount => "invalid_amount",
        OperationStatus.InvalidOperationId => "invalid_operation_id",
        OperationStatus.OperationIdReused => "operation_id_reused",
        OperationStatus.OperationExpired => "operation_expired",
        OperationStatus.OperationIdFromFuture => "operation_id_from_future",
        OperationStatus.InvalidAccountId => "invalid_account_id",
        OperationStatus.TooManyPendingTransfers => "too_many_pending_transfers",
        OperationStatus.TransferToSelf => "transfer_to_self",
        // A status added later is still counted, under its number, rather than failing the call.
        _ => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
