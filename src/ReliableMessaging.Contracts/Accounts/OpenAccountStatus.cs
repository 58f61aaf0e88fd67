namespace ReliableMessaging.Contracts.Accounts;

/// <summary>The outcome of opening an account.</summary>
[GenerateSerializer, Alias("rm.OpenAccountStatus")]
public enum OpenAccountStatus : byte
{
    Opened = 0,
    AlreadyOpen = 1,
    InvalidAccountId = 16,
}
