using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>Rule 7: a failed state write acknowledges nothing, serves nothing unpersisted, and its retry executes once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StorageFaultTests(ClusterFixture fixture)
{
    private Task<(IAccountGrain Account, string AccountId)> OpenAccountAsync(long balance) =>
        TestAccounts.OpenFundedAsync(fixture.Grains, balance);

    [Fact]
    public async Task Withdraw_WriteFailsBeforeCommit_CallerGetsErrorAndRetryExecutesOnce()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        var id = TestIds.NewOperationId();
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        var error = await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(id, 100));
        Assert.False(error.IsConflict);

        // Nothing unpersisted is served: the failed debit is not visible, not even as a record.
        Assert.Equal(new AccountSnapshot(AccountStatus.Open, 1000, 2), await account.GetSnapshot());
        Assert.Equal(OperationLookupStatus.Unknown, (await account.GetOperation(id)).Status);

        var retry = await account.Withdraw(id, 100);
        Assert.Equal((OperationStatus.Succeeded, 900L, false), (retry.Status, retry.BalanceAfter!.Value, retry.IsReplay));
        Assert.True((await account.Withdraw(id, 100)).IsReplay);
        Assert.Equal(900, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task Withdraw_WriteCommitsButAcknowledgementLost_RetryReplaysOriginalOutcome()
    {
        // The ATM case: the debit committed, the answer never arrived, the client retries.
        var (account, accountId) = await OpenAccountAsync(1000);
        var id = TestIds.NewOperationId();
        StorageFaults.Arm(accountId, StorageFault.FailAfterWrite);

        await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(id, 100));
        var writes = StorageFaults.WriteCount(accountId);
        var retry = await account.Withdraw(id, 100);

        Assert.Equal(new OperationResult(id, OperationKind.Withdrawal, 100, OperationStatus.Succeeded, 900, IsReplay: true), retry);
        Assert.Equal(writes, StorageFaults.WriteCount(accountId));
        Assert.Equal(900, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task Withdraw_FailedWriteThenOtherOperation_FailedOneNeverPersistedByLaterWrite()
    {
        // A naive grain keeps the unsaved debit in memory and persists it with the next write.
        var (account, accountId) = await OpenAccountAsync(1000);
        var failed = TestIds.NewOperationId();
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);
        await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(failed, 400));

        var next = await account.Deposit(TestIds.NewOperationId(), 1);

        Assert.Equal(1001, next.BalanceAfter);
        Assert.Equal(OperationLookupStatus.Unknown, (await account.GetOperation(failed)).Status);
        Assert.Equal(1001, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task Deposit_SeveralConsecutiveWriteFailures_EachUnacknowledgedAndFinalRetryAppliesOnce()
    {
        var (account, accountId) = await OpenAccountAsync(10);
        var id = TestIds.NewOperationId();
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);
        StorageFaults.Arm(accountId, StorageFault.FailAfterWrite);

        await Assert.ThrowsAsync<AccountStorageException>(() => account.Deposit(id, 5));
        await Assert.ThrowsAsync<AccountStorageException>(() => account.Deposit(id, 5));
        var third = await account.Deposit(id, 5);

        Assert.Equal((OperationStatus.Succeeded, 15L, true), (third.Status, third.BalanceAfter!.Value, third.IsReplay));
        Assert.Equal(15, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task Open_WriteFails_AccountNotOpenedUntilRetrySucceeds()
    {
        var accountId = TestIds.NewId();
        var account = fixture.Grains.GetGrain<IAccountGrain>(accountId);
        StorageFaults.Arm(accountId, StorageFault.FailBeforeWrite);

        await Assert.ThrowsAsync<AccountStorageException>(() => account.Open());
        Assert.Equal(AccountStatus.NotFound, (await account.GetSnapshot()).Status);
        Assert.Equal(OpenAccountStatus.Opened, (await account.Open()).Status);
    }

    [Fact]
    public async Task Withdraw_RowChangedUnderneath_ConflictErrorThenRetryOnFreshState()
    {
        // An injected ETag conflict: the row's version moves on behind the activation's back.
        var (account, accountId) = await OpenAccountAsync(1000);
        var id = TestIds.NewOperationId();
        var bumped = await fixture.Postgres.QueryScalarAsync<int>(
            "UPDATE orleansstorage SET version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @key RETURNING version",
            ("service", fixture.ServiceId), ("key", accountId));
        Assert.True(bumped > 0);

        var error = await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(id, 100));
        Assert.True(error.IsConflict);

        var retry = await account.Withdraw(id, 100);
        Assert.Equal((OperationStatus.Succeeded, 900L), (retry.Status, retry.BalanceAfter!.Value));
        Assert.Equal(900, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task Withdraw_WriteFailsWithABug_CallerGetsTheErrorNotStorageUnavailable_NothingApplied()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        var id = TestIds.NewOperationId();
        StorageFaults.Arm(accountId, StorageFault.BugBeforeWrite);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => account.Withdraw(id, 100));

        Assert.Null(AccountStorageException.Find(error));
        Assert.Contains("Injected bug", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1000, (await account.GetSnapshot()).Balance);
        Assert.Equal(OperationLookupStatus.Unknown, (await account.GetOperation(id)).Status);
    }

    [Fact]
    public async Task Load_StoredStateUnreadable_ErrorAsItIsNeverStorageUnavailable()
    {
        // A state that does not deserialize is not an outage: "unavailable, retry" would fail the same way forever.
        var (account, accountId) = await OpenAccountAsync(1000);
        var changed = await fixture.Postgres.QueryScalarAsync<int>(
            "UPDATE orleansstorage SET payloadbinary = '\\xdeadbeefdeadbeef'::bytea, version = version + 1 WHERE serviceid = @service AND grainidextensionstring = @key RETURNING version",
            ("service", fixture.ServiceId), ("key", accountId));
        Assert.True(changed > 0);

        // The activation learns of the change at its next write (a conflict) and retires; the next one reads the row.
        var conflict = await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(TestIds.NewOperationId(), 100));
        Assert.True(conflict.IsConflict);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => account.GetSnapshot());

        Assert.Null(AccountStorageException.Find(error));
    }
}
