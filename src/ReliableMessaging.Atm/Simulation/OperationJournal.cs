using System.Collections.Concurrent;
using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>Everything the ATMs did, kept for the reconciliation; safe to fill from every ATM at once.</summary>
public sealed class OperationJournal
{
    private readonly ConcurrentQueue<JournalEntry> _entries = new();
    private readonly ConcurrentQueue<TransferEntry> _transfers = new();
    private readonly ConcurrentQueue<Violation> _violations = new();
    private readonly ConcurrentQueue<string> _accounts = new();
    private readonly ConcurrentDictionary<string, bool> _active = new();
    private readonly Lock _activeChange = new();
    private string[] _activeSnapshot = [];
    private readonly ConcurrentQueue<string> _setupErrors = new();

    public IReadOnlyCollection<JournalEntry> Entries => _entries;

    public IReadOnlyCollection<TransferEntry> Transfers => _transfers;

    public IReadOnlyCollection<Violation> Violations => _violations;

    public IReadOnlyCollection<string> Accounts => _accounts;

    /// <summary>Failures that stop the run from proving anything (an account that could not be opened, a fault that could not be injected).</summary>
    public IReadOnlyCollection<string> SetupErrors => _setupErrors;

    public JournalEntry Add(OperationRequest intent)
    {
        var entry = new JournalEntry(intent);
        _entries.Enqueue(entry);
        return entry;
    }

    public TransferEntry Add(TransferRequest intent)
    {
        var entry = new TransferEntry(intent);
        _transfers.Enqueue(entry);
        return entry;
    }

    /// <summary>Accounts not yet retired: the destinations of transfers, so that retired accounts' windows stay untouched.</summary>
    public IReadOnlyList<string> ActiveAccounts => Volatile.Read(ref _activeSnapshot);

    // Each change and the snapshot it publishes are one step: two accounts opened at once (the hot
    // accounts are) each published a snapshot, and one taken before the other's change could land
    // last. A chaos run in CI then saw one hot account, had no destination and sent no transfer at all.
    public void AddAccount(string accountId)
    {
        _accounts.Enqueue(accountId);
        lock (_activeChange)
        {
            _active[accountId] = true;
            Volatile.Write(ref _activeSnapshot, [.. _active.Keys]);
        }
    }

    public void Retire(string accountId)
    {
        lock (_activeChange)
        {
            _active.TryRemove(accountId, out _);
            Volatile.Write(ref _activeSnapshot, [.. _active.Keys]);
        }
    }

    public void AddViolation(Violation violation) => _violations.Enqueue(violation);

    public void AddSetupError(string error) => _setupErrors.Enqueue(error);
}
