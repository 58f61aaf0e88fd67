using ReliableMessaging.Contracts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Journal;

/// <summary>
/// Journaled records of one account in sequence order, as of one snapshot of the journal, with what
/// the retention has taken of the account's history: every record that <see cref="CountsAsPruned"/>
/// (deleted, or about to be) is not among <paramref name="Records"/>, and is counted in
/// <paramref name="PrunedRecords"/> and <paramref name="PrunedEffect"/> (its net effect on the balance).
/// <paramref name="PrunedThroughSequence"/> is the highest sequence among them: the account's records are
/// journaled in sequence order, so one above it was never journaled, whatever its age.
/// </summary>
public sealed record JournalPage(
    IReadOnlyList<OperationRecord> Records, long PrunedRecords, long PrunedEffect, long PrunedThroughUnixMs, long PrunedThroughSequence)
{
    /// <summary>A page of an account whose journal nothing was pruned from.</summary>
    public JournalPage(IReadOnlyList<OperationRecord> records)
        : this(records, 0, 0, 0, 0)
    {
    }

    /// <summary>
    /// Whether the retention has taken <paramref name="record"/>: its ID AND its recording are at or
    /// below the floor, and the journal held it. By its ID alone, a record written long after its ID's
    /// time (the refund of a transfer held past the retention: its ID is derived from the transfer's)
    /// would vanish from the statement as soon as it was written. By age alone, a record the journal
    /// refused for longer than the retention (still only in the window) would be neither listed nor
    /// counted. The journal's SQL uses the same age rule (<c>PostgresOperationJournal.PrunedCondition</c>).
    /// </summary>
    public bool CountsAsPruned(OperationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Sequence <= PrunedThroughSequence
            && Uuid7.GetUnixTimeMilliseconds(record.OperationId) <= PrunedThroughUnixMs && record.RecordedUnixMs <= PrunedThroughUnixMs;
    }
}
