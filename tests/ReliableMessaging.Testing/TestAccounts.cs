using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Testing;

/// <summary>Fresh, opened, funded accounts for tests.</summary>
public static class TestAccounts
{
    public static async Task<(IAccountGrain Account, string AccountId)> OpenFundedAsync(IGrainFactory grains, long balance)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var accountId = TestIds.NewId();
        var account = grains.GetGrain<IAccountGrain>(accountId);
        await account.Open();
        await account.Deposit(TestIds.NewOperationId(), balance);
        return (account, accountId);
    }
}
