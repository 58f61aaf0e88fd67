namespace ReliableMessaging.Client;

/// <summary>An accepted transfer as the API reports it.</summary>
public sealed record TransferInfo(Guid TransferId, string From, string To, long Amount, TransferStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>
    /// Completed, refunded or stuck: delivery ended (a stuck one changes only by an operator's
    /// resolution). A status this client does not know is not taken for finished.
    /// </summary>
    public bool IsFinished => Status is TransferStatus.Completed or TransferStatus.Refunded or TransferStatus.Stuck;
}
