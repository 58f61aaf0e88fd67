using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>One operation an ATM issued, its final answer, and what the operations endpoint later said.</summary>
public sealed class JournalEntry(OperationRequest intent)
{
    public OperationRequest Intent { get; } = intent;

    /// <summary>Null while the ATM is still retrying.</summary>
    public OperationOutcome? Answer { get; set; }

    /// <summary>Set by the reconciliation.</summary>
    public OperationLookup? Lookup { get; set; }
}
