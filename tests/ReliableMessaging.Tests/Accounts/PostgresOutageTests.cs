using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>
/// Rule 7 with a real outage: PostgreSQL stops while an account is active. Runs on its own
/// PostgreSQL and cluster so the shared fixture is not disturbed.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresOutageTests
{
    [Fact]
    public async Task Withdraw_PostgresStoppedDuringWrite_NoAckNoUnpersistedStateAndRetryExecutesOnce()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var cluster = await AccountCluster.StartAsync(postgres, $"outage-{Guid.NewGuid():N}", silos: 1);
        try
        {
            var (account, accountId) = await TestAccounts.OpenFundedAsync(cluster.Client, 1000);
            var id = TestIds.NewOperationId();

            // Hold the write in flight, stop PostgreSQL under it, then let it go.
            var gate = StorageFaults.HoldWrites(accountId);
            var call = account.Withdraw(id, 250);
            await postgres.StopAsync();
            gate.SetResult();
            await Assert.ThrowsAsync<AccountStorageException>(() => call);

            // While the database is down nothing unpersisted may be served. The failed write retired
            // the activation, so the account cannot be loaded: a typed, retryable error.
            Assert.NotNull(AccountStorageException.Find(await Assert.ThrowsAnyAsync<Exception>(() => account.GetSnapshot())));
            Assert.NotNull(AccountStorageException.Find(await Assert.ThrowsAnyAsync<Exception>(() => account.Withdraw(id, 250))));

            await postgres.StartAgainAsync();
            var retry = await ClientRetry.UntilAnsweredAsync(() => account.Withdraw(id, 250));

            Assert.Equal((OperationStatus.Succeeded, 750L, false), (retry.Status, retry.BalanceAfter!.Value, retry.IsReplay));
            Assert.True((await account.Withdraw(id, 250)).IsReplay);
            Assert.Equal(750, (await account.GetSnapshot()).Balance);
        }
        finally
        {
            // Silos stop quickly only when they can reach their membership table.
            await postgres.StartAgainAsync();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
