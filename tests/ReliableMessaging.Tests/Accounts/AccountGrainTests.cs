using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>Exactly-once rules 1 to 6 through a real two-silo cluster with PostgreSQL storage.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AccountGrainTests(ClusterFixture fixture)
{
    private async Task<IAccountGrain> OpenAccountAsync(long balance = 0) =>
        (await TestAccounts.OpenFundedAsync(fixture.Grains, balance)).Account;

    [Fact]
    public async Task Open_Twice_SecondIsAlreadyOpenAndKeepsState()
    {
        var account = await OpenAccountAsync(250);
        var again = await account.Open();
        Assert.Equal(new OpenAccountResult(OpenAccountStatus.AlreadyOpen, 250, 2), again);
    }

    [Fact]
    public async Task Deposit_AccountNeverOpened_RefusedAndNoAccountCreated()
    {
        var account = fixture.Grains.GetGrain<IAccountGrain>(TestIds.NewId());
        var result = await account.Deposit(TestIds.NewOperationId(), 100);
        Assert.Equal(OperationStatus.AccountNotFound, result.Status);
        Assert.Equal(new AccountSnapshot(AccountStatus.NotFound, 0, 0), await account.GetSnapshot());
    }

    [Fact]
    public async Task Withdraw_SameOperationIdTwice_DebitsOnceAndReplaysResult()
    {
        var account = await OpenAccountAsync(1000);
        var id = TestIds.NewOperationId();

        var first = await account.Withdraw(id, 100);
        var writes = StorageFaults.WriteCount(account.GetPrimaryKeyString());
        var retry = await account.Withdraw(id, 100);

        Assert.Equal(new OperationResult(id, OperationKind.Withdrawal, 100, OperationStatus.Succeeded, 900, IsReplay: false), first);
        Assert.Equal(first with { IsReplay = true }, retry);
        Assert.Equal(writes, StorageFaults.WriteCount(account.GetPrimaryKeyString()));
        Assert.Equal(new AccountSnapshot(AccountStatus.Open, 900, 3), await account.GetSnapshot());
    }

    [Fact]
    public async Task Withdraw_InsufficientFundsThenDeposit_RetryStaysRefused()
    {
        var account = await OpenAccountAsync(50);
        var id = TestIds.NewOperationId();

        var refused = await account.Withdraw(id, 80);
        await account.Deposit(TestIds.NewOperationId(), 100);
        var retry = await account.Withdraw(id, 80);

        Assert.Equal(OperationStatus.InsufficientFunds, refused.Status);
        Assert.Equal(50, refused.BalanceAfter);
        Assert.Equal(refused with { IsReplay = true }, retry);
        Assert.Equal(150, (await account.GetSnapshot()).Balance);
    }

    [Theory]
    [InlineData(OperationKind.Withdrawal, 101)]
    [InlineData(OperationKind.Deposit, 100)]
    public async Task SameOperationIdOtherParameters_RefusedAsReusedAndNothingChanges(OperationKind kind, long amount)
    {
        var account = await OpenAccountAsync(1000);
        var id = TestIds.NewOperationId();
        await account.Withdraw(id, 100);
        var before = await account.GetSnapshot();

        var result = kind == OperationKind.Deposit ? await account.Deposit(id, amount) : await account.Withdraw(id, amount);

        Assert.Equal(OperationStatus.OperationIdReused, result.Status);
        Assert.Equal(before, await account.GetSnapshot());
        Assert.Equal(OperationStatus.Succeeded, (await account.GetOperation(id)).Operation!.Status);
    }

    [Fact]
    public async Task Withdraw_ConcurrentDuplicatesWhileFirstIsWriting_AllGetOneOutcomeAndDebitOnce()
    {
        var account = await OpenAccountAsync(1000);
        var accountId = account.GetPrimaryKeyString();
        var id = TestIds.NewOperationId();
        var writesBefore = StorageFaults.WriteCount(accountId);
        var gate = StorageFaults.HoldWrites(accountId);

        List<Task<OperationResult>> calls;
        try
        {
            var decided = AccountCalls.WhenStarted(accountId, nameof(IAccountGrain.Withdraw), Enumerable.Repeat(id, 10));
            calls = Enumerable.Range(0, 10).Select(_ => account.Withdraw(id, 300)).ToList();
            Assert.True(await decided.WaitAsync(TimeSpan.FromSeconds(20)), "No answer may leave before the write succeeded.");
            Assert.All(calls, call => Assert.False(call.IsCompleted));
        }
        finally
        {
            // Released whatever failed above: a write held for ever would block the shared cluster's shutdown.
            gate.TrySetResult();
        }

        var results = await Task.WhenAll(calls);

        Assert.Single(results, r => !r.IsReplay);
        Assert.All(results, r => Assert.Equal((OperationStatus.Succeeded, 700L), (r.Status, r.BalanceAfter!.Value)));
        Assert.Equal(writesBefore + 1, StorageFaults.WriteCount(accountId));
        Assert.Equal(700, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task Withdraw_ManyConcurrentDistinctOperations_EachAppliedOnceAndNeverOverdrawn()
    {
        var account = await OpenAccountAsync(1000);
        // 12 distinct withdrawals of 100 against 1000, each sent twice, concurrently (all fit the window).
        var ids = Enumerable.Range(0, 12).Select(_ => TestIds.NewOperationId()).ToList();
        var results = await Task.WhenAll(ids.Concat(ids).Select(id => account.Withdraw(id, 100)));

        var byId = results.GroupBy(r => r.OperationId).ToList();
        Assert.All(byId, g => Assert.Single(g.Select(r => r with { IsReplay = false }).Distinct()));
        Assert.Equal(10, byId.Count(g => g.First().Status == OperationStatus.Succeeded));
        Assert.Equal(2, byId.Count(g => g.First().Status == OperationStatus.InsufficientFunds));
        Assert.Equal(0, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task FullWindow_EvictedOperationRetried_ReplayedFromJournalNotExecutedAgain()
    {
        var (account, accountId) = await TestAccounts.OpenFundedAsync(fixture.Grains, 10_000);
        var evicted = TestIds.NewOperationId();
        var original = await account.Withdraw(evicted, 10);
        for (var i = 0; i < AccountCluster.WindowSize + 4; i++)
        {
            await account.Withdraw(TestIds.NewOperationId(), 1);
        }

        // Once the journal confirms them, the next write lets the oldest records leave the window.
        await account.SyncJournal();
        await account.Withdraw(TestIds.NewOperationId(), 1);
        var balance = (await account.GetSnapshot()).Balance;

        // Proof that the answer can only come from the journal: with the journal down, it is "unavailable", never "unknown".
        JournalFaults.TakeDown(accountId);
        await Assert.ThrowsAsync<AccountStorageException>(() => account.GetOperation(evicted));
        await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(evicted, 10));
        JournalFaults.Restore(accountId);

        var retry = await account.Withdraw(evicted, 10);
        var reused = await account.Withdraw(evicted, 11);

        Assert.Equal(original with { IsReplay = true }, retry);
        Assert.Equal(OperationStatus.OperationIdReused, reused.Status);
        Assert.Equal(new OperationLookupResult(OperationLookupStatus.Found, original with { IsReplay = true }), await account.GetOperation(evicted));
        Assert.Equal(10_000 - 10 - AccountCluster.WindowSize - 5, balance);
        Assert.Equal(balance, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task OperationIdOlderThanRetention_RefusedAsExpired()
    {
        var account = await OpenAccountAsync(100);
        var old = TestIds.OperationIdAt(DateTimeOffset.UtcNow - AccountCluster.Retention - TimeSpan.FromMinutes(1));

        Assert.Equal(OperationStatus.OperationExpired, (await account.Withdraw(old, 10)).Status);
        Assert.Equal(100, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task OperationIdFromBeyondClockSkew_Refused()
    {
        var account = await OpenAccountAsync(100);
        var future = TestIds.OperationIdAt(DateTimeOffset.UtcNow + AccountCluster.MaxClockSkew + TimeSpan.FromMinutes(1));

        Assert.Equal(OperationStatus.OperationIdFromFuture, (await account.Deposit(future, 10)).Status);
        Assert.Equal(100, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task BadInputs_RefusedWithTypedStatusAndStateUntouched()
    {
        var account = await OpenAccountAsync(100);
        var before = await account.GetSnapshot();

        Assert.Equal(OperationStatus.InvalidAmount, (await account.Deposit(TestIds.NewOperationId(), 0)).Status);
        Assert.Equal(OperationStatus.InvalidAmount, (await account.Withdraw(TestIds.NewOperationId(), -5)).Status);
        Assert.Equal(OperationStatus.InvalidAmount, (await account.Deposit(TestIds.NewOperationId(), long.MaxValue)).Status);
        Assert.Equal(OperationStatus.InvalidOperationId, (await account.Deposit(Guid.NewGuid(), 10)).Status);
        Assert.Equal(OperationStatus.InvalidOperationId, (await account.Deposit(Guid.Empty, 10)).Status);
        Assert.Equal(before, await account.GetSnapshot());
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("caf\u00e9")]
    public async Task InvalidAccountId_EveryCallRefusedAndNothingPersisted(string accountId)
    {
        var account = fixture.Grains.GetGrain<IAccountGrain>(accountId);

        Assert.Equal(OpenAccountStatus.InvalidAccountId, (await account.Open()).Status);
        Assert.Equal(OperationStatus.InvalidAccountId, (await account.Deposit(TestIds.NewOperationId(), 10)).Status);
        Assert.Equal(AccountStatus.InvalidAccountId, (await account.GetSnapshot()).Status);
        Assert.Equal(OperationLookupStatus.InvalidAccountId, (await account.GetOperation(TestIds.NewOperationId())).Status);
        Assert.Equal(0, StorageFaults.WriteCount(accountId));
    }

    [Fact]
    public async Task GetOperation_ReportsRecordedOutcomeUnknownAndExpired()
    {
        var account = await OpenAccountAsync(100);
        var id = TestIds.NewOperationId();
        var executed = await account.Withdraw(id, 30);

        Assert.Equal(new OperationLookupResult(OperationLookupStatus.Found, executed with { IsReplay = true }), await account.GetOperation(id));
        Assert.Equal(OperationLookupStatus.Unknown, (await account.GetOperation(TestIds.NewOperationId())).Status);
        var old = TestIds.OperationIdAt(DateTimeOffset.UtcNow - AccountCluster.Retention - TimeSpan.FromMinutes(1));
        Assert.Equal(OperationLookupStatus.Expired, (await account.GetOperation(old)).Status);
    }
}
