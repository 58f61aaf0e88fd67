namespace ReliableMessaging.Client;

/// <summary>How a keyed operation or transfer ended for the caller.</summary>
public enum OutcomeKind
{
    /// <summary>Applied (for a transfer: accepted, the source debited). Recorded: every retry gets the same.</summary>
    Succeeded,

    /// <summary>Refused for lack of funds. Recorded: stays refused on every retry, even after a deposit.</summary>
    InsufficientFunds,

    /// <summary>A final error answer (see <c>Error</c>): nothing was executed.</summary>
    Rejected,

    /// <summary>No answer within the attempts, and the lookup found no record: it never ran. Sending the same request again (same key) is safe.</summary>
    NotExecuted,

    /// <summary>No answer within the attempts and no verdict from the lookup: it may or may not have run. Resend with the same key, or look it up later.</summary>
    Unanswered,
}
