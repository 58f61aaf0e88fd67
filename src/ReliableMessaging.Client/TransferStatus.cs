namespace ReliableMessaging.Client;

/// <summary>Where an accepted transfer is.</summary>
public enum TransferStatus
{
    /// <summary>A status this client does not know (a newer server).</summary>
    Unknown,

    /// <summary>Debited at the source, credit in delivery.</summary>
    Pending,

    /// <summary>Credited at the destination.</summary>
    Completed,

    /// <summary>The destination refused it for good; the source was refunded.</summary>
    Refunded,

    /// <summary>Could not be delivered within the destination's retention; never re-sent under a fresh ID.</summary>
    Stuck,
}
