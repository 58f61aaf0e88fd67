using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ReliableMessaging.Atm.Attack;

namespace ReliableMessaging.Atm.Reporting;

/// <summary>The figures of one run: printed as a table, optionally written as JSON for tests and docs.</summary>
public sealed record RunSummary
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public required int Atms { get; init; }

    public required int Silos { get; init; }

    public required double DurationSeconds { get; init; }

    public required double WallClockSeconds { get; init; }

    public required long AccountsOpened { get; init; }

    public required long Operations { get; init; }

    public required long Succeeded { get; init; }

    public required long InsufficientFunds { get; init; }

    public required long Expired { get; init; }

    public required long UnexpectedAnswers { get; init; }

    public required long Unanswered { get; init; }

    public required long ResolvedExecuted { get; init; }

    public required long ResolvedNotExecuted { get; init; }

    public required long Attempts { get; init; }

    public required long Retries { get; init; }

    public required long Replays { get; init; }

    public required long DuplicatesSent { get; init; }

    /// <summary>Earliest acknowledged operations sent again after the run (from the journal tier on a busy account) and compared.</summary>
    public long LateReplaysCompared { get; init; }

    public required long Timeouts { get; init; }

    public required long ConnectionErrors { get; init; }

    public required long StorageUnavailable { get; init; }

    public required long ClusterUnavailable { get; init; }

    public required long ServerErrors { get; init; }

    public required long SiloKills { get; init; }

    public required long SiloRestarts { get; init; }

    public required long SiloPauses { get; init; }

    /// <summary>Paused silos that, once continued, found themselves declared dead and stopped.</summary>
    public required long PausedSilosStopped { get; init; }

    public required long DatabasePathHangs { get; init; }

    /// <summary>Silos whose database path hung that stepped out of the cluster on their own.</summary>
    public required long SilosSteppedOut { get; init; }

    public required long PostgresRestarts { get; init; }

    public required long StorageFaults { get; init; }

    public required long FaultErrors { get; init; }

    public required long TransfersIssued { get; init; }

    public required long TransfersAnsweredAccepted { get; init; }

    public required long TransfersInsufficientFunds { get; init; }

    public required long TransfersUnanswered { get; init; }

    public required long TransfersResolvedExecuted { get; init; }

    public required long TransfersResolvedNotExecuted { get; init; }

    /// <summary>Accepted in the end: answered 202, or unanswered and found.</summary>
    public required long TransfersAccepted { get; init; }

    public required long TransfersCompleted { get; init; }

    public required long TransfersRefunded { get; init; }

    public required long TransfersStuck { get; init; }

    public required long TransfersPendingAtEnd { get; init; }

    /// <summary>The money of the transfers still pending when the balances were read: in flight, counted apart from the balances, not as lost.</summary>
    public required long TransfersInFlightAmount { get; init; }

    public required long TooManyPendingTransfers { get; init; }

    /// <summary>Transfers whose ID was stamped ahead of the ATM's clock (<c>--ahead-ratio</c>).</summary>
    public required long AheadTransfers { get; init; }

    public required long AheadTransfersAccepted { get; init; }

    /// <summary>Refused by a source whose clock is behind by more than the skew it tolerates (400, never executed).</summary>
    public required long AheadTransfersRefused { get; init; }

    /// <summary>A transfer's derived credit, refund or finish ID as a plain key (each must be refused 400 idempotency-key-malformed).</summary>
    public required AttackFigures AttackDerivedIds { get; init; }

    /// <summary>An accepted transfer's ID as a plain key at its source (422 idempotency-key-reused).</summary>
    public required AttackFigures AttackTransferIdsAsOperationKeys { get; init; }

    /// <summary>An accepted transfer's ID for another transfer (422 idempotency-key-reused).</summary>
    public required AttackFigures AttackTransferIdsForOtherTransfers { get; init; }

    /// <summary>An answered operation's key as a transfer's from the same account (422 idempotency-key-reused).</summary>
    public required AttackFigures AttackOperationKeysAsTransferKeys { get; init; }

    public long AttacksSent => Attacks.Sum(figures => figures.Sent);

    public long AttacksRefused => Attacks.Sum(figures => figures.Refused);

    public long AttacksUnanswered => Attacks.Sum(figures => figures.Unanswered);

    /// <summary>Attacks answered with anything but their documented refusal (each is also a violation).</summary>
    public long AttacksNotRefused => Attacks.Sum(figures => figures.NotRefused);

    private AttackFigures[] Attacks => [AttackDerivedIds, AttackTransferIdsAsOperationKeys, AttackTransferIdsForOtherTransfers, AttackOperationKeysAsTransferKeys];

    public required double OperationsPerSecond { get; init; }

    public required int MaxAttemptsForOneOperation { get; init; }

    public required double ThroughputIntervalSeconds { get; init; }

    /// <summary>Operations and transfers answered in each interval of the traffic (from its start).</summary>
    public required IReadOnlyList<long> CompletedPerInterval { get; init; }

    /// <summary>The longest time in the traffic with no operation answered.</summary>
    public required double LongestStallSeconds { get; init; }

    /// <summary>When that stall began, in seconds from the start of the traffic.</summary>
    public required double LongestStallFromSeconds { get; init; }

    public required IReadOnlyList<string> Violations { get; init; }

    public required IReadOnlyList<string> SetupErrors { get; init; }

    public int ViolationCount => Violations.Count;

    /// <summary>
    /// Why the run verified nothing, when it did not: no operation acknowledged (the service never
    /// answered), or none of the acknowledged ones answered when sent again after the run (the journal
    /// tier's replays unchecked). Such a run has found no violation because it looked at nothing, so it
    /// must not pass.
    /// </summary>
    public string? NothingVerified =>
        Succeeded + InsufficientFunds == 0 ? "no operation was acknowledged, so no outcome could be checked"
        : LateReplaysCompared == 0 ? "no acknowledged operation was answered when sent again after the run, so no replay was compared"
        : null;

    /// <summary>0 when every check held, 1 on any violation, 3 when the run could not be carried out as asked or verified nothing.</summary>
    public int ExitCode => Violations.Count > 0 ? 1 : SetupErrors.Count > 0 || NothingVerified is not null ? 3 : 0;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToTable()
    {
        var rows = new (string Name, string Value)[]
        {
            ("ATMs / silos", $"{Atms} / {Silos}"),
            ("traffic / wall clock", $"{DurationSeconds:0} s / {WallClockSeconds:0} s"),
            ("accounts opened", Number(AccountsOpened)),
            ("operations issued (rate incl. transfers)", $"{Number(Operations)} ({OperationsPerSecond:0.0}/s)"),
            ("  answered succeeded", Number(Succeeded)),
            ("  answered insufficient-funds (422)", Number(InsufficientFunds)),
            ("  answered expired (409)", Number(Expired)),
            ("  unexpected answers", Number(UnexpectedAnswers)),
            ("  unanswered -> executed once", Number(ResolvedExecuted)),
            ("  unanswered -> not executed", Number(ResolvedNotExecuted)),
            ("transfers issued", Number(TransfersIssued)),
            ("  answered accepted (202)", Number(TransfersAnsweredAccepted)),
            ("  answered insufficient-funds (422)", Number(TransfersInsufficientFunds)),
            ("  unanswered -> accepted / not accepted", $"{Number(TransfersResolvedExecuted)} / {Number(TransfersResolvedNotExecuted)}"),
            ("  accepted in all", Number(TransfersAccepted)),
            ("  completed / refunded / stuck / still pending", $"{Number(TransfersCompleted)} / {Number(TransfersRefunded)} / {Number(TransfersStuck)} / {Number(TransfersPendingAtEnd)}"),
            ("  money in flight at the end (still pending)", Number(TransfersInFlightAmount)),
            ("429 too-many-pending-transfers", Number(TooManyPendingTransfers)),
            ("transfers with IDs from a clock ahead", Number(AheadTransfers)),
            ("  accepted / refused as from the future (400)", $"{Number(AheadTransfersAccepted)} / {Number(AheadTransfersRefused)}"),
            ("attacker: derived IDs as keys (sent / refused 400)", SentRefused(AttackDerivedIds)),
            ("attacker: transfer IDs as plain keys (sent / refused 422)", SentRefused(AttackTransferIdsAsOperationKeys)),
            ("attacker: transfer IDs for other transfers (sent / refused 422)", SentRefused(AttackTransferIdsForOtherTransfers)),
            ("attacker: plain keys as transfer IDs (sent / refused 422)", SentRefused(AttackOperationKeysAsTransferKeys)),
            ("attacker: unanswered / answered otherwise", $"{Number(AttacksUnanswered)} / {Number(AttacksNotRefused)}"),
            ("HTTP attempts / retries", $"{Number(Attempts)} / {Number(Retries)}"),
            ("most attempts for one operation", Number(MaxAttemptsForOneOperation)),
            ("replays (Idempotent-Replayed)", Number(Replays)),
            ("deliberate duplicates sent", Number(DuplicatesSent)),
            ("earliest operations sent again after the run", Number(LateReplaysCompared)),
            ("client timeouts / connection errors", $"{Number(Timeouts)} / {Number(ConnectionErrors)}"),
            ("503 storage-unavailable / cluster-unavailable", $"{Number(StorageUnavailable)} / {Number(ClusterUnavailable)}"),
            ("other 5xx", Number(ServerErrors)),
            ("faults: silo SIGKILLs / restarts", $"{SiloKills} / {SiloRestarts}"),
            ("faults: silo pauses / stopped themselves after", $"{SiloPauses} / {PausedSilosStopped}"),
            ("faults: database path hangs / silos stepped out", $"{DatabasePathHangs} / {SilosSteppedOut}"),
            ("faults: PostgreSQL restarts", Number(PostgresRestarts)),
            ("faults: connection kills (storage faults)", Number(StorageFaults)),
            ("faults that failed to inject", Number(FaultErrors)),
            ("longest stall (no operation answered)", $"{LongestStallSeconds:0.0} s from {LongestStallFromSeconds:0.0} s"),
            ("violations", Number(Violations.Count)),
        };

        var width = rows.Max(row => row.Name.Length);
        var valueWidth = rows.Max(row => row.Value.Length);
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"| {"".PadRight(width)} | {"".PadLeft(valueWidth)} |");
        table.AppendLine(CultureInfo.InvariantCulture, $"|{new string('-', width + 2)}|{new string('-', valueWidth + 1)}:|");
        foreach (var (name, value) in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| {name.PadRight(width)} | {value.PadLeft(valueWidth)} |");
        }

        return table.ToString();
    }

    /// <summary>Operations answered per interval, one row with the interval's end as its header (markdown).</summary>
    public string ThroughputTable()
    {
        var headers = CompletedPerInterval.Select((_, i) => $"{(i + 1) * ThroughputIntervalSeconds:0.#} s").ToList();
        var values = CompletedPerInterval.Select(Number).ToList();
        var widths = headers.Zip(values, (header, value) => Math.Max(header.Length, value.Length)).ToList();
        var title = $"answered per {ThroughputIntervalSeconds:0.#} s, up to";
        var table = new StringBuilder();
        table.AppendLine("| " + title + " | " + string.Join(" | ", headers.Select((header, i) => header.PadLeft(widths[i]))) + " |");
        table.AppendLine("|" + new string('-', title.Length + 2) + "|" + string.Join("|", widths.Select(width => new string('-', width + 1) + ":")) + "|");
        table.AppendLine("| " + "operations".PadRight(title.Length) + " | " + string.Join(" | ", values.Select((value, i) => value.PadLeft(widths[i]))) + " |");
        return table.ToString();
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string SentRefused(AttackFigures figures) => $"{Number(figures.Sent)} / {Number(figures.Refused)}";
}
