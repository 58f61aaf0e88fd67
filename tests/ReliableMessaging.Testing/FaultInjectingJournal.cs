using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Testing;

/// <summary>Wraps the real PostgreSQL journal and, when a test arms it through <see cref="JournalFaults"/>, holds or fails its calls.</summary>
public sealed class FaultInjectingJournal(IOperationJournal inner) : IOperationJournal
{
    public Task AppendAsync(string accountId, IReadOnlyList<OperationRecord> records, CancellationToken cancellationToken = default)
    {
        var gate = JournalFaults.GateFor(accountId);
        return gate is null ? AppendCoreAsync() : gate.PassAsync(AppendCoreAsync);

        async Task AppendCoreAsync()
        {
            ThrowIfDown(accountId);
            if (JournalFaults.BreakageOf(accountId) is { } failure)
            {
                throw failure;
            }

            await inner.AppendAsync(accountId, records, cancellationToken);
            JournalFaults.CountAppended(accountId, records.Count);
        }
    }

    public Task<JournalLookup> FindAsync(string accountId, IReadOnlyList<Guid> operationIds, CancellationToken cancellationToken = default)
    {
        ThrowIfDown(accountId);
        return inner.FindAsync(accountId, operationIds, cancellationToken);
    }

    public Task<JournalPage> ReadAsync(string accountId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ThrowIfDown(accountId);
        return inner.ReadAsync(accountId, afterSequence, limit, cancellationToken);
    }

    private static void ThrowIfDown(string accountId)
    {
        if (JournalFaults.IsDown(accountId))
        {
            throw new JournalUnavailableException($"Injected: the journal is unreachable for {accountId}.");
        }
    }
}
