using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>Rule 1 of the journal: a crash between the state write and the journal append loses and duplicates nothing.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JournalCrashTests(ClusterFixture fixture)
{
    private static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task SiloKilledBeforeJournalAppend_NextActivationShipsTheRecordOnce()
    {
        var accountId = TestIds.NewId();
        var serviceId = $"journal-kill-{Guid.NewGuid():N}";
        var cluster = await AccountCluster.StartAsync(fixture.Postgres, serviceId, silos: 2);
        var deadSilosAppend = JournalFaults.HoldAppends(accountId);
        try
        {
            var account = cluster.Client.GetGrain<IAccountGrain>(accountId);
            await account.Open();
            var id = TestIds.NewOperationId();
            var original = await account.Deposit(id, 70);
            Assert.Equal(OperationStatus.Succeeded, original.Status);
            await deadSilosAppend.Holding.WaitAsync(SignalTimeout);
            Assert.Equal(0, await JournalTable.CountAsync(fixture.Postgres, serviceId, accountId));

            // The silo dies with the append in flight (held: it never completes, as in a dead process).
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            var host = await management.GetActivationAddress(account);
            await cluster.KillSiloAsync(cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
            JournalFaults.HoldAppends(accountId).Open();

            // The survivor re-activates the account from its persisted state and ships what the journal lacks.
            var retried = await ClientRetry.UntilAnsweredAsync(() => account.Deposit(id, 70));
            var checkpoint = await ClientRetry.UntilAnsweredAsync(account.SyncJournal);

            Assert.Equal(original with { IsReplay = true }, retried);
            Assert.Equal(new JournalCheckpoint(AccountStatus.Open, 70, 1), checkpoint);
            Assert.Equal(1, await JournalTable.CountAsync(fixture.Postgres, serviceId, accountId, id));

            // Even if the dead silo's append goes through after all, the journal keeps one row: counted
            // once that append has run to its end (stored by a writer still running, or refused by a stopped one).
            deadSilosAppend.Open();
            await deadSilosAppend.HeldAppendsFinished.WaitAsync(SignalTimeout);
            Assert.Equal(1, await JournalTable.CountAsync(fixture.Postgres, serviceId, accountId));
        }
        finally
        {
            deadSilosAppend.Open();
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
