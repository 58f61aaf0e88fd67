namespace ReliableMessaging.Contracts.Accounts;

/// <summary>Whether an account can be read.</summary>
[GenerateSerializer, Alias("rm.AccountStatus")]
public enum AccountStatus : byte
{
    Open = 0,
    NotFound = 1,
    InvalidAccountId = 16,
}
