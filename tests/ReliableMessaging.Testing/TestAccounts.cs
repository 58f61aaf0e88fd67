using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Testing;

/// <summary>Fresh, opened, funded accounts for tests.</summary>
public static class TestAccounts
{
    /// <summary>
    /// A new account, opened, holding <paramref name="balance"/> (one deposit; none for 0). Throws when
    /// the account does not open as new or the deposit does not succeed, so no test starts from a state
    /// it did not ask for.
    /// </summary>
    public static async Task<(IAccountGrain Account, string AccountId)> OpenFundedAsync(IGrainFactory grains, long balance)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var accountId = TestIds.NewId();
        var account = grains.GetGrain<IAccountGrain>(accountId);
        var opened = await account.Open();
        if (opened.Status != OpenAccountStatus.Opened)
        {
            throw new InvalidOperationException($"Account {accountId} did not open as new: {opened}");
        }

        if (balance > 0)
        {
            var deposit = await account.Deposit(TestIds.NewOperationId(), balance);
            if (deposit.Status != OperationStatus.Succeeded)
            {
                throw new InvalidOperationException($"Funding account {accountId} with {balance} failed: {deposit}");
            }
        }

        return (account, accountId);
    }

    /// <summary>
    /// A new account, opened, that answers every credit "expired" (its state carries the eviction floor a
    /// version without a journal left, 10 minutes ahead): a transfer to it is held for an operator.
    /// </summary>
    public static async Task<string> OpenWhereCreditsCannotBeVerifiedAsync(IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var accountId = TestIds.NewId("legacy");
        StorageFaults.ChangeOnRead(accountId, state => state.EvictedThroughUnixMs = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds());
        var opened = await grains.GetGrain<IAccountGrain>(accountId).Open();
        if (opened.Status != OpenAccountStatus.Opened)
        {
            throw new InvalidOperationException($"Account {accountId} did not open as new: {opened}");
        }

        return accountId;
    }
}
