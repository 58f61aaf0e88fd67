using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>A retry after the whole cluster restarted is answered from the persisted record.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SiloRestartTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Withdraw_ClusterRestartsBeforeRetry_RetryReplaysPersistedOutcome()
    {
        var serviceId = $"restart-{Guid.NewGuid():N}";
        var accountId = TestIds.NewId();
        var id = TestIds.NewOperationId();
        var refusedId = TestIds.NewOperationId();
        OperationResult original;
        OperationResult refused;

        var before = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 1);
        try
        {
            var account = before.Client.GetGrain<IAccountGrain>(accountId);
            await account.Open();
            await account.Deposit(TestIds.NewOperationId(), 500);
            original = await account.Withdraw(id, 120);
            refused = await account.Withdraw(refusedId, 10_000);
        }
        finally
        {
            await before.StopAllSilosAsync();
            await before.DisposeAsync();
        }

        var after = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 1);
        try
        {
            var account = after.Client.GetGrain<IAccountGrain>(accountId);
            var writes = StorageFaults.WriteCount(accountId);

            Assert.Equal(original with { IsReplay = true }, await account.Withdraw(id, 120));
            Assert.Equal(refused with { IsReplay = true }, await account.Withdraw(refusedId, 10_000));
            Assert.Equal(new AccountSnapshot(AccountStatus.Open, 380, 4), await account.GetSnapshot());
            Assert.Equal(writes, StorageFaults.WriteCount(accountId));
        }
        finally
        {
            await after.StopAllSilosAsync();
            await after.DisposeAsync();
        }
    }

    [Fact]
    public async Task Withdraw_SiloHostingAccountKilled_RetryOnSurvivorReplaysFromStorage()
    {
        var accountId = TestIds.NewId();
        var cluster = await AccountCluster.StartAsync(fixture.Postgres, $"kill-{Guid.NewGuid():N}", silos: 2);
        try
        {
            var account = cluster.Client.GetGrain<IAccountGrain>(accountId);
            await account.Open();
            await account.Deposit(TestIds.NewOperationId(), 500);
            var id = TestIds.NewOperationId();
            var original = await account.Withdraw(id, 70);

            // SIGKILL-like stop of the silo that hosts the account; the survivor reactivates it from PostgreSQL.
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            var host = await management.GetActivationAddress(account);
            var victim = cluster.Silos.Single(s => s.SiloAddress.Equals(host));
            await cluster.KillSiloAsync(victim);
            // A client retries with the same operation ID until it gets an answer.
            var retried = await ClientRetry.UntilAnsweredAsync(() => account.Withdraw(id, 70));
            Assert.Equal(original with { IsReplay = true }, retried);
            Assert.Equal(430, (await ClientRetry.UntilAnsweredAsync(account.GetSnapshot)).Balance);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
