namespace ReliableMessaging.Contracts.Accounts;

/// <summary>What an account knows of an operation ID.</summary>
[GenerateSerializer, Alias("rm.OperationLookupStatus")]
public enum OperationLookupStatus : byte
{
    /// <summary>Recorded: the outcome is in <see cref="OperationLookupResult.Operation"/>.</summary>
    Found = 0,

    /// <summary>Not recorded, and recent enough that it would be executed if sent now.</summary>
    Unknown = 1,

    /// <summary>Past the journal's retention (or evicted before the journal existed): whether it ran can no longer be verified.</summary>
    Expired = 2,

    AccountNotFound = 10,
    InvalidOperationId = 12,
    InvalidAccountId = 16,
}
