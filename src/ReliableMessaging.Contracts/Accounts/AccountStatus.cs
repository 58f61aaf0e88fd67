namespace ReliableMessaging.Contracts.Accounts;

/// <summary>Whether an account can be read.</summary>
public enum AccountStatus : byte
{
    Open = 0,
    NotFound = 1,
    InvalidAccountId = 16,
}
