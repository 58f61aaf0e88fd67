namespace ReliableMessaging.Audit;

/// <summary>What the audit found.</summary>
/// <param name="AccountsChecked">Accounts whose balance was compared with their journal.</param>
/// <param name="Differences">Every account that disagrees.</param>
/// <param name="Unreachable">Accounts whose journal could not be brought up to date (journal or storage down).</param>
/// <param name="TotalBalance">The sum of the checked accounts' balances.</param>
/// <param name="InTransfer">Money debited by transfers and not yet credited or refunded, per the journal.</param>
/// <param name="EveryAccount">Every account of the service was audited (not a list), so <paramref name="InTransfer"/> covers both ends of every transfer.</param>
public sealed record AuditReport(int AccountsChecked, IReadOnlyList<AuditDifference> Differences, IReadOnlyList<string> Unreachable, long TotalBalance, long InTransfer, bool EveryAccount = false)
{
    /// <summary>
    /// Transfers from the audited accounts debited longer than <see cref="JournalAudit.PendingAfter"/>
    /// ago and not finished: listed for an operator, not a failure of the audit (held ones wait for
    /// <c>resolve-held-transfer</c>; the others for their destination).
    /// </summary>
    public IReadOnlyList<UnfinishedTransfer> Pending { get; init; } = [];

    /// <summary>How many transfers are pending so (<see cref="Pending"/> lists the oldest thousand).</summary>
    public int PendingCount { get; init; }

    /// <summary>
    /// Over the whole service, credits and refunds exceed the transfers debited: a transfer was both
    /// credited and refunded (money created), which every account's own journal can agree with. Only
    /// meaningful on a quiet service: a credit journaled before its debit's row reads so for a moment.
    /// </summary>
    public bool MoneyCreated => EveryAccount && InTransfer < 0;

    public bool Passed => Differences.Count == 0 && Unreachable.Count == 0 && !MoneyCreated;
}
