namespace ReliableMessaging.Contracts.Transfers;

/// <summary>Where an accepted transfer is in its life. Persisted: never renumber a member.</summary>
[GenerateSerializer, Alias("rm.TransferState")]
public enum TransferState : byte
{
    /// <summary>Debited from the source; the credit is being delivered.</summary>
    Pending = 0,

    /// <summary>Credited to the destination exactly once.</summary>
    Completed = 1,

    /// <summary>The destination refused for good; the source was refunded exactly once.</summary>
    Refunded = 2,

    /// <summary>
    /// Reached only by earlier versions, which stopped delivering when the destination answered
    /// expired or reused. Transfers now end completed or refunded; kept so old records still read.
    /// </summary>
    Stuck = 3,
}
