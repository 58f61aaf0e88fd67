namespace ReliableMessaging.Grains.Accounts;

/// <summary>Names under which account state is persisted.</summary>
public static class AccountStorage
{
    /// <summary>The grain storage provider the silo registers for accounts.</summary>
    public const string ProviderName = "accounts";

    /// <summary>The state name within a grain.</summary>
    public const string StateName = "account";
}
