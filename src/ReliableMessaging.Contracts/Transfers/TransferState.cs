namespace ReliableMessaging.Contracts.Transfers;

/// <summary>Where an accepted transfer is in its life. Persisted: never renumber a member.</summary>
public enum TransferState : byte
{
    /// <summary>Debited from the source; the credit is being delivered.</summary>
    Pending = 0,

    /// <summary>Credited to the destination exactly once.</summary>
    Completed = 1,

    /// <summary>The destination refused for good; the source was refunded exactly once.</summary>
    Refunded = 2,

    /// <summary>
    /// The credit could not be delivered within the destination's retention window, so delivery
    /// stopped rather than risk a second credit: needs an operator (see the logs and the metric).
    /// </summary>
    Stuck = 3,
}
