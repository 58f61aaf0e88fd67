using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>
/// Rule 8: two activations of one account (here: two clusters sharing the ServiceId, as after a
/// split brain) race on the same row. One write wins; the loser's caller gets an error; every retry
/// is answered correctly and nothing is booked twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TwoActivationRaceTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TwoActivationsWriteSameAccount_LoserGetsConflictAndRetriesExecuteExactlyOnce()
    {
        var (first, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);

        var other = await AccountCluster.StartAsync(fixture.Postgres, fixture.ServiceId, silos: 1);
        try
        {
            var second = other.Client.GetGrain<IAccountGrain>(accountId);
            Assert.Equal(1000, (await second.GetSnapshot()).Balance); // both activations now hold version 2

            var winnerId = TestIds.NewOperationId();
            var loserId = TestIds.NewOperationId();
            var won = await first.Withdraw(winnerId, 100);
            var lost = await Assert.ThrowsAsync<AccountStorageException>(() => second.Withdraw(loserId, 200));

            Assert.Equal(900, won.BalanceAfter);
            Assert.True(lost.IsConflict);

            // The loser re-reads the row: its retry executes once on top of the winner's debit,
            // and the winner's operation, retried through the other cluster, is a replay.
            var retried = await second.Withdraw(loserId, 200);
            Assert.Equal((OperationStatus.Succeeded, 700L, false), (retried.Status, retried.BalanceAfter!.Value, retried.IsReplay));
            Assert.Equal(won with { IsReplay = true }, await second.Withdraw(winnerId, 100));
            Assert.True((await second.Withdraw(loserId, 200)).IsReplay);

            // The first activation is now the stale one: it must not overwrite, and must recover.
            var thirdId = TestIds.NewOperationId();
            await Assert.ThrowsAsync<AccountStorageException>(() => first.Withdraw(thirdId, 1));
            var third = await first.Withdraw(thirdId, 1);
            Assert.Equal(699, third.BalanceAfter);
            Assert.Equal(retried with { IsReplay = true }, await first.Withdraw(loserId, 200));
            Assert.Equal(699, (await first.GetSnapshot()).Balance);
        }
        finally
        {
            await other.StopAllSilosAsync();
            await other.DisposeAsync();
        }
    }

    [Fact]
    public async Task CreditRedeliveredToAnActivationThatSawTheAccountUnopened_NoRefusalAnswered_RetryReplaysTheCredit()
    {
        // An older activation (a paused silo's, a split brain's) loaded the destination before it was
        // opened. The credit lands through the current one and its answer is lost; the redelivery
        // reaches the older one. "No such account" there would make the source refund: money twice.
        var accountId = TestIds.NewId("payee");
        var other = await AccountCluster.StartAsync(fixture.Postgres, fixture.ServiceId, silos: 1);
        try
        {
            var stale = other.Client.GetGrain<IAccountGrain>(accountId);
            Assert.Equal(AccountStatus.NotFound, (await stale.GetSnapshot()).Status);
            var current = fixture.Grains.GetGrain<IAccountGrain>(accountId);
            await current.Open();
            var creditId = TransferDelivery.CreditId(TestIds.NewOperationId());
            var credited = await current.ReceiveTransfer(creditId, "payer", 100);
            Assert.Equal(OperationStatus.Succeeded, credited.Status);

            var redelivered = await Assert.ThrowsAsync<AccountStorageException>(() => stale.ReceiveTransfer(creditId, "payer", 100));
            Assert.True(redelivered.IsConflict);

            Assert.Equal(credited with { IsReplay = true }, await stale.ReceiveTransfer(creditId, "payer", 100));
            Assert.Equal(100, (await current.GetSnapshot()).Balance);
        }
        finally
        {
            await other.StopAllSilosAsync();
            await other.DisposeAsync();
        }
    }
}
