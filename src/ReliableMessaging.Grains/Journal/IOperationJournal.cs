using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Journal;

/// <summary>
/// The journal tier: an append-only, durable store of every record the accounts commit. The silo
/// provides it (grains never touch SQL). Every method throws <see cref="JournalUnavailableException"/>
/// when the journal cannot be reached; nothing is then known, so callers retry later.
/// </summary>
public interface IOperationJournal
{
    /// <summary>
    /// Appends records of one account; completes once they are durable. Idempotent: records already
    /// journaled (same account and operation ID) are left as they are.
    /// </summary>
    Task AppendAsync(string accountId, IReadOnlyList<OperationRecord> records, CancellationToken cancellationToken = default);

    /// <summary>The journaled records of <paramref name="accountId"/> among <paramref name="operationIds"/>, and the pruning floor.</summary>
    Task<JournalLookup> FindAsync(string accountId, IReadOnlyList<Guid> operationIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Journaled records of one account with a sequence above <paramref name="afterSequence"/>, ascending,
    /// at most <paramref name="limit"/>, with what pruning deleted of the account's journal.
    /// </summary>
    Task<JournalPage> ReadAsync(string accountId, long afterSequence, int limit, CancellationToken cancellationToken = default);
}
