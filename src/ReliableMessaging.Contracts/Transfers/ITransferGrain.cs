namespace ReliableMessaging.Contracts.Transfers;

/// <summary>
/// One transfer, keyed by its transfer ID: the entry point that remembers which accounts and amount
/// the ID was first used with, and finds the transfer at its source account. The transfer itself is
/// carried out by the source account (debit and outbox in one write) and delivered to the destination.
/// </summary>
[Alias("rm.ITransferGrain")]
public interface ITransferGrain : IGrainWithGuidKey
{
    /// <summary>Starts the transfer, or replays its status when this ID was already used with these parameters.</summary>
    [Alias("Start")]
    Task<TransferResult> Start(string source, string destination, long amount);

    /// <summary>The transfer's current status.</summary>
    [Alias("Get")]
    Task<TransferLookupResult> GetStatus();
}
