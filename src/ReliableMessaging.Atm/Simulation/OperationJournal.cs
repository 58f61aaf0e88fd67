using System.Collections.Concurrent;
using ReliableMessaging.Atm.Bank;
using ReliableMessaging.Atm.Checking;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>Everything the ATMs did, kept for the reconciliation; safe to fill from every ATM at once.</summary>
public sealed class OperationJournal
{
    private readonly ConcurrentQueue<JournalEntry> _entries = new();
    private readonly ConcurrentQueue<Violation> _violations = new();
    private readonly ConcurrentQueue<string> _accounts = new();
    private readonly ConcurrentQueue<string> _setupErrors = new();

    public IReadOnlyCollection<JournalEntry> Entries => _entries;

    public IReadOnlyCollection<Violation> Violations => _violations;

    public IReadOnlyCollection<string> Accounts => _accounts;

    /// <summary>Failures that stop the run from proving anything (an account that could not be opened, a fault that could not be injected).</summary>
    public IReadOnlyCollection<string> SetupErrors => _setupErrors;

    public JournalEntry Add(OperationIntent intent)
    {
        var entry = new JournalEntry(intent);
        _entries.Enqueue(entry);
        return entry;
    }

    public void AddAccount(string accountId) => _accounts.Enqueue(accountId);

    public void AddViolation(Violation violation) => _violations.Enqueue(violation);

    public void AddSetupError(string error) => _setupErrors.Enqueue(error);
}
