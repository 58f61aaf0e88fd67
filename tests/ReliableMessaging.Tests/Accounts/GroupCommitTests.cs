using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>
/// Group commit through a real cluster: operations that arrive while a write is in flight are
/// committed together in the next write, answered only after it, and fail together with it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GroupCommitTests(ClusterFixture fixture)
{
    private Task<(IAccountGrain Account, string AccountId)> OpenAccountAsync(long balance) =>
        TestAccounts.OpenFundedAsync(fixture.Grains, balance);

    [Fact]
    public async Task Withdraw_OperationsArrivingDuringWrite_CommittedTogetherInOneWrite()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        var writesBefore = StorageFaults.WriteCount(accountId);
        var gate = StorageFaults.HoldWrites(accountId);
        var arrived = StorageFaults.NextWriteArrives(accountId);

        var inFlight = account.Withdraw(TestIds.NewOperationId(), 100);
        await arrived; // the first write is in flight, held at the gate
        var gathered = Enumerable.Range(0, 8).Select(_ => account.Withdraw(TestIds.NewOperationId(), 10)).ToList();
        // Give the gathered calls time to reach the grain and be decided behind the held write: no
        // outside signal says "enlisted" (AccountCommitPipelineTests cover each interleaving exactly).
        await Task.Delay(300);
        Assert.False(inFlight.IsCompleted);
        Assert.All(gathered, call => Assert.False(call.IsCompleted));

        gate.SetResult();
        var first = await inFlight;
        var rest = await Task.WhenAll(gathered);

        Assert.Equal(900, first.BalanceAfter);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => 900L - (10 * i)), rest.Select(r => r.BalanceAfter!.Value).Order().Reverse());
        Assert.Equal(writesBefore + 2, StorageFaults.WriteCount(accountId));
        Assert.Equal(new AccountSnapshot(AccountStatus.Open, 820, 11), await account.GetSnapshot());
    }

    [Fact]
    public async Task Withdraw_GatheredBatchWriteFails_AllItsOperationsFailNothingServedAndRetriesExecuteOnce()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        var gate = StorageFaults.HoldWrites(accountId);
        var arrived = StorageFaults.NextWriteArrives(accountId);
        StorageFaults.Arm(accountId, StorageFault.None);
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        var firstId = TestIds.NewOperationId();
        var inFlight = account.Withdraw(firstId, 100);
        await arrived; // the first write is in flight, held at the gate
        var ids = Enumerable.Range(0, 4).Select(_ => TestIds.NewOperationId()).ToList();
        var gathered = ids.Select(id => account.Withdraw(id, 50)).ToList();
        // Give the gathered calls time to reach the grain and be decided behind the held write: no
        // outside signal says "enlisted" (AccountCommitPipelineTests cover each interleaving exactly).
        await Task.Delay(300);
        gate.SetResult();

        Assert.Equal(900, (await inFlight).BalanceAfter);
        foreach (var call in gathered)
        {
            await Assert.ThrowsAsync<AccountStorageException>(() => call);
        }

        Assert.Equal(900, (await account.GetSnapshot()).Balance);
        foreach (var id in ids)
        {
            Assert.Equal(OperationLookupStatus.Unknown, (await account.GetOperation(id)).Status);
        }

        var retries = await Task.WhenAll(ids.Select(id => account.Withdraw(id, 50)));
        Assert.All(retries, r => Assert.Equal(OperationStatus.Succeeded, r.Status));
        Assert.Equal(700, (await account.GetSnapshot()).Balance);
        Assert.True((await account.Withdraw(firstId, 100)).IsReplay);
    }

    [Fact]
    public async Task Withdraw_InFlightWriteFails_GatheredOperationsFailWithItAndStateReverts()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        var gate = StorageFaults.HoldWrites(accountId);
        var arrived = StorageFaults.NextWriteArrives(accountId);
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        var inFlight = account.Withdraw(TestIds.NewOperationId(), 100);
        await arrived; // the first write is in flight, held at the gate
        var gathered = Enumerable.Range(0, 3).Select(_ => account.Deposit(TestIds.NewOperationId(), 5)).ToList();
        // Give the gathered calls time to reach the grain and be decided behind the held write: no
        // outside signal says "enlisted" (AccountCommitPipelineTests cover each interleaving exactly).
        await Task.Delay(300);
        gate.SetResult();

        await Assert.ThrowsAsync<AccountStorageException>(() => inFlight);
        foreach (var call in gathered)
        {
            await Assert.ThrowsAsync<AccountStorageException>(() => call);
        }

        Assert.Equal(new AccountSnapshot(AccountStatus.Open, 1000, 2), await account.GetSnapshot());
    }

    [Fact]
    public async Task Withdraw_DuplicateOfOperationInGatheredBatch_WaitsForThatWriteAndReplays()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        var writesBefore = StorageFaults.WriteCount(accountId);
        var gate = StorageFaults.HoldWrites(accountId);
        var arrived = StorageFaults.NextWriteArrives(accountId);

        var inFlight = account.Withdraw(TestIds.NewOperationId(), 1);
        await arrived; // the first write is in flight, held at the gate
        var id = TestIds.NewOperationId();
        var calls = Enumerable.Range(0, 4).Select(_ => account.Withdraw(id, 300)).ToList();
        // Give the gathered calls time to reach the grain and be decided behind the held write: no
        // outside signal says "enlisted" (AccountCommitPipelineTests cover each interleaving exactly).
        await Task.Delay(300);
        Assert.All(calls, call => Assert.False(call.IsCompleted));
        gate.SetResult();

        await inFlight;
        var outcomes = await Task.WhenAll(calls);

        // Whichever copy arrived first executed; the others waited for its write and replayed it.
        var executed = Assert.Single(outcomes, o => !o.IsReplay);
        Assert.All(outcomes, o => Assert.Equal(executed with { IsReplay = o.IsReplay }, o));
        Assert.Equal((OperationStatus.Succeeded, 699L), (executed.Status, executed.BalanceAfter!.Value));
        Assert.Equal(699, (await account.GetSnapshot()).Balance);
        Assert.Equal(writesBefore + 2, StorageFaults.WriteCount(accountId));
    }
}
