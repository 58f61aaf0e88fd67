namespace ReliableMessaging.Audit;

/// <summary>What the audit found.</summary>
/// <param name="AccountsChecked">Accounts whose balance was compared with their journal.</param>
/// <param name="Differences">Every account that disagrees.</param>
/// <param name="Unreachable">Accounts whose journal could not be brought up to date (journal or storage down).</param>
/// <param name="TotalBalance">The sum of the checked accounts' balances.</param>
/// <param name="InTransfer">Money debited by transfers and not yet credited or refunded, per the journal.</param>
public sealed record AuditReport(int AccountsChecked, IReadOnlyList<AuditDifference> Differences, IReadOnlyList<string> Unreachable, long TotalBalance, long InTransfer)
{
    public bool Passed => Differences.Count == 0 && Unreachable.Count == 0;
}
