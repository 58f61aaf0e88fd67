namespace ReliableMessaging.Contracts.Transfers;

/// <summary>What is known of a transfer ID.</summary>
[GenerateSerializer, Alias("rm.TransferLookupStatus")]
public enum TransferLookupStatus : byte
{
    Found = 0,

    /// <summary>No such transfer was ever accepted.</summary>
    Unknown = 1,

    /// <summary>Older than the source account still remembers.</summary>
    Expired = 2,

    /// <summary>
    /// The transfer ID was received, but its source has no debit for it (yet): a start may still be
    /// committing, or it never reached the source. Not a denial: repeat the start with the same
    /// transfer ID and parameters, which settles it and answers its outcome.
    /// </summary>
    Unconfirmed = 3,
}
