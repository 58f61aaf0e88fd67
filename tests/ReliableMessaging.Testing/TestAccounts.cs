using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Testing;

/// <summary>Fresh, opened, funded accounts for tests.</summary>
public static class TestAccounts
{
    /// <summary>A new account, opened, holding <paramref name="balance"/> (one deposit; none for 0).</summary>
    public static async Task<(IAccountGrain Account, string AccountId)> OpenFundedAsync(IGrainFactory grains, long balance)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var accountId = TestIds.NewId();
        var account = grains.GetGrain<IAccountGrain>(accountId);
        await account.Open();
        if (balance > 0)
        {
            await account.Deposit(TestIds.NewOperationId(), balance);
        }

        return (account, accountId);
    }
}
