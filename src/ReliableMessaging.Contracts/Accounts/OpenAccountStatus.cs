namespace ReliableMessaging.Contracts.Accounts;

/// <summary>The outcome of opening an account.</summary>
public enum OpenAccountStatus : byte
{
    Opened = 0,
    AlreadyOpen = 1,
    InvalidAccountId = 16,
}
