namespace ReliableMessaging.Contracts.Transfers;

/// <summary>What is known of a transfer ID.</summary>
public enum TransferLookupStatus : byte
{
    Found = 0,

    /// <summary>No such transfer was ever accepted.</summary>
    Unknown = 1,

    /// <summary>Older than the source account still remembers.</summary>
    Expired = 2,
}
