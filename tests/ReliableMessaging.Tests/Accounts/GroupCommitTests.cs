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

    [Fact]
    public async Task Withdraw_WriteLandsButItsAcknowledgementIsLost_LookUpDuplicateAndOtherQueuedBehindFailToo_NoneAnswersUnknown()
    {
        // The write holding X commits, but the grain is told it failed. Whatever waited behind it (a
        // look-up of X, a duplicate of X, another operation) must fail with it: a look-up answering
        // "unknown" for X would let a client conclude it never ran, and it did.
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 1000);
        StorageFaults.Arm(accountId, StorageFault.FailAfterWrite);
        var gate = StorageFaults.HoldWrites(accountId);
        var arrived = StorageFaults.NextWriteArrives(accountId);
        var x = TestIds.NewOperationId();
        var y = TestIds.NewOperationId();
        var withdrawal = account.Withdraw(x, 100);
        await arrived.WaitAsync(SignalTimeout);

        var lookUpStarted = AccountCalls.WhenStarted(accountId, nameof(IAccountGrain.GetOperation), [x]);
        var lookUp = account.GetOperation(x);
        var withdrawalsStarted = AccountCalls.WhenStarted(accountId, nameof(IAccountGrain.Withdraw), [x, y]);
        var duplicate = account.Withdraw(x, 100);
        var other = account.Withdraw(y, 50);
        Assert.True(await lookUpStarted.WaitAsync(SignalTimeout), "the look-up was answered before the write ended");
        Assert.True(await withdrawalsStarted.WaitAsync(SignalTimeout), "a withdrawal was answered before the write ended");
        gate.SetResult();

        await Assert.ThrowsAsync<AccountStorageException>(() => withdrawal);
        await Assert.ThrowsAsync<AccountStorageException>(() => lookUp);
        await Assert.ThrowsAsync<AccountStorageException>(() => duplicate);
        await Assert.ThrowsAsync<AccountStorageException>(() => other);

        // The next activation reads what was written: X ran once, and is found and replayed as it ran;
        // Y never ran, and its retry executes it once, on a balance that holds X.
        var found = await ClientRetry.UntilAnsweredAsync(() => account.GetOperation(x));
        Assert.Equal(OperationLookupStatus.Found, found.Status);
        Assert.Equal((OperationStatus.Succeeded, 900L, true), (found.Operation!.Status, found.Operation.BalanceAfter!.Value, found.Operation.IsReplay));
        Assert.Equal(found.Operation, await account.Withdraw(x, 100));
        var retried = await account.Withdraw(y, 50);
        Assert.Equal((OperationStatus.Succeeded, 850L, false), (retried.Status, retried.BalanceAfter!.Value, retried.IsReplay));
        Assert.Equal(retried with { IsReplay = true }, await account.Withdraw(y, 50));
        Assert.Equal(850, (await account.GetSnapshot()).Balance);
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
