using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Journal;

/// <summary>What the journal holds of some operation IDs of one account.</summary>
/// <param name="Records">The journaled records found (any order).</param>
/// <param name="PrunedThroughUnixMs">
/// The pruning floor: rows of operations whose UUIDv7 timestamp is at or below it may have been
/// deleted, so an ID there that is not found can no longer be verified.
/// </param>
/// <param name="AsOfSequence">The account's newest sequence when the look-up started (see <see cref="OperationWindow.HoldsEverythingAfter"/>).</param>
public sealed record JournalLookup(IReadOnlyList<OperationRecord> Records, long PrunedThroughUnixMs, long AsOfSequence = 0)
{
    public OperationRecord? Find(Guid operationId)
    {
        foreach (var record in Records)
        {
            if (record.OperationId == operationId)
            {
                return record;
            }
        }

        return null;
    }
}
