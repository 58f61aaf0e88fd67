namespace ReliableMessaging.Client;

/// <summary>An accepted transfer as the API reports it.</summary>
public sealed record TransferInfo(Guid TransferId, string From, string To, long Amount, TransferStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>Completed, refunded or stuck: it will not change any more.</summary>
    public bool IsFinished => Status is not TransferStatus.Pending;
}
