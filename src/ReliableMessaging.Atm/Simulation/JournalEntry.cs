using ReliableMessaging.Atm.Bank;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>One operation an ATM issued, its final answer, and what the operations endpoint later said.</summary>
public sealed class JournalEntry(OperationIntent intent)
{
    public OperationIntent Intent { get; } = intent;

    /// <summary>Null while the ATM is still retrying.</summary>
    public OperationAnswer? Answer { get; set; }

    /// <summary>Set by the reconciliation.</summary>
    public OperationLookup? Lookup { get; set; }
}
