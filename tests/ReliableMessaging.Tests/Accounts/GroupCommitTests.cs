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
    private static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Withdraw_OperationsArrivingDuringWrite_CommittedTogetherInOneWrite()
    {
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var writesBefore = StorageFaults.WriteCount(accountId);

        var (inFlight, gathered, gate) = await GatherBehindHeldWriteAsync(
            accountId, () => account.Withdraw(TestIds.NewOperationId(), 100), nameof(IAccountGrain.Withdraw), NewIds(8), id => account.Withdraw(id, 10));
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
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        StorageFaults.Arm(accountId, StorageFault.None);
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        var firstId = TestIds.NewOperationId();
        var ids = NewIds(4);
        var (inFlight, gathered, gate) = await GatherBehindHeldWriteAsync(
            accountId, () => account.Withdraw(firstId, 100), nameof(IAccountGrain.Withdraw), ids, id => account.Withdraw(id, 50));
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
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        var (inFlight, gathered, gate) = await GatherBehindHeldWriteAsync(
            accountId, () => account.Withdraw(TestIds.NewOperationId(), 100), nameof(IAccountGrain.Deposit), NewIds(3), id => account.Deposit(id, 5));
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
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        var writesBefore = StorageFaults.WriteCount(accountId);

        // Four calls with one ID: the first to arrive executes, the others are duplicates of it.
        var id = TestIds.NewOperationId();
        var (inFlight, calls, gate) = await GatherBehindHeldWriteAsync(
            accountId, () => account.Withdraw(TestIds.NewOperationId(), 1), nameof(IAccountGrain.Withdraw), [id, id, id, id], duplicate => account.Withdraw(duplicate, 300));
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

    private static List<Guid> NewIds(int count) => [.. Enumerable.Range(0, count).Select(_ => TestIds.NewOperationId())];

    /// <summary>
    /// Starts <paramref name="first"/> and holds its write in flight; then makes one <paramref name="call"/> (of grain method
    /// <paramref name="method"/>) per ID in <paramref name="ids"/> and returns once the grain has decided each of them behind
    /// that write (<see cref="AccountCalls"/>).
    /// Completing the returned gate lets the held write (and every later one) through.
    /// </summary>
    private static async Task<(Task<OperationResult> InFlight, List<Task<OperationResult>> Gathered, TaskCompletionSource Gate)> GatherBehindHeldWriteAsync(
        string accountId, Func<Task<OperationResult>> first, string method, IReadOnlyList<Guid> ids, Func<Guid, Task<OperationResult>> call)
    {
        var gate = StorageFaults.HoldWrites(accountId);
        var arrived = StorageFaults.NextWriteArrives(accountId);
        var inFlight = first();
        await arrived.WaitAsync(SignalTimeout); // the first write is in flight, held at the gate

        var decided = AccountCalls.WhenStarted(accountId, method, ids);
        var gathered = ids.Select(call).ToList();
        await decided.WaitAsync(SignalTimeout);
        return (inFlight, gathered, gate);
    }
}
