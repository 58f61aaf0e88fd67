using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Journal;

/// <summary>
/// Journaled records of one account in sequence order, as of one snapshot of the journal, with what
/// the retention has taken of the account's history: every record whose ID is at or below
/// <paramref name="PrunedThroughUnixMs"/> counts as pruned (deleted, or about to be), is not among
/// <paramref name="Records"/>, and is counted in <paramref name="PrunedRecords"/> and
/// <paramref name="PrunedEffect"/> (its net effect on the balance).
/// </summary>
public sealed record JournalPage(IReadOnlyList<OperationRecord> Records, long PrunedRecords, long PrunedEffect, long PrunedThroughUnixMs)
{
    /// <summary>A page of an account whose journal nothing was pruned from.</summary>
    public JournalPage(IReadOnlyList<OperationRecord> records)
        : this(records, 0, 0, 0)
    {
    }
}
