using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>One transfer an ATM issued, its final answer, and what <c>GET /transfers/{id}</c> later said.</summary>
public sealed class TransferEntry(TransferRequest intent)
{
    public TransferRequest Intent { get; } = intent;

    /// <summary>Null while the ATM is still retrying.</summary>
    public TransferOutcome? Answer { get; set; }

    /// <summary>Its ID was stamped ahead of the ATM's clock (<c>--ahead-ratio</c>): a silo whose clock is behind may refuse it as from the future.</summary>
    public bool Ahead { get; set; }

    /// <summary>Set by the reconciliation (the last lookup, once final or at the end of the wait).</summary>
    public TransferLookup? Lookup { get; set; }

    /// <summary>Accepted: answered 202, or unanswered and found by the lookup.</summary>
    public bool Accepted => Answer?.Kind == OutcomeKind.Succeeded || Lookup?.Kind == LookupKind.Found;
}
