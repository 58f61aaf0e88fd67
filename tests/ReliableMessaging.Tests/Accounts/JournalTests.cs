using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>
/// The two tiers through a real cluster on PostgreSQL: the window size no longer decides what can be
/// verified or admitted, the journal being down never loses or wrongly answers anything, and the
/// statement is complete across both tiers.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JournalTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Task<(IAccountGrain Account, string AccountId)> OpenAccountAsync(long balance = 0) =>
        TestAccounts.OpenFundedAsync(fixture.Grains, balance);

    /// <summary>1,100 deposits of 1 from 16 concurrent callers: far more than the window holds.</summary>
    private static async Task MakeBusyAsync(IAccountGrain account)
    {
        var callers = Enumerable.Range(0, 16).Select(async caller =>
        {
            for (var i = caller; i < 1100; i += 16)
            {
                Assert.Equal(OperationStatus.Succeeded, (await account.Deposit(TestIds.NewOperationId(), 1)).Status);
            }
        });
        await Task.WhenAll(callers);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(15)]
    [InlineData(60)]
    public async Task BusyAccount_IdFromClockBehind_ExecutesOnceAndRetryReplays(int secondsBehind)
    {
        var (account, _) = await OpenAccountAsync();
        await MakeBusyAsync(account);
        var late = TestIds.OperationIdAt(DateTimeOffset.UtcNow.AddSeconds(-secondsBehind));

        var executed = await account.Withdraw(late, 100);
        var retry = await account.Withdraw(late, 100);

        Assert.Equal((OperationStatus.Succeeded, false, 1000L), (executed.Status, executed.IsReplay, executed.BalanceAfter!.Value));
        Assert.Equal(executed with { IsReplay = true }, retry);
        Assert.Equal(OperationLookupStatus.Found, (await account.GetOperation(late)).Status);
        Assert.Equal(1000, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task BusyDestination_TransferFromClockBehind_CompletesInsteadOfStuck()
    {
        var (merchant, merchantId) = await OpenAccountAsync();
        var (payer, payerId) = await OpenAccountAsync(1000);
        await MakeBusyAsync(merchant);
        var transferId = TestIds.OperationIdAt(DateTimeOffset.UtcNow.AddSeconds(-5));

        var accepted = await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(payerId, merchantId, 250);
        Assert.Equal(OperationStatus.Succeeded, accepted.Status);

        Assert.Equal(TransferState.Completed, (await TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, Patience)).State);
        Assert.Equal((750L, 1350L), ((await payer.GetSnapshot()).Balance, (await merchant.GetSnapshot()).Balance));
    }

    [Fact]
    public async Task JournalDown_OperationsCommitAndWait_ThenShipped_PastTheBoundRefusedUnacknowledged()
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        await account.SyncJournal();
        JournalFaults.TakeDown(accountId);

        // Records wait in the window: each of these is committed and acknowledged.
        var acknowledged = new List<OperationResult>();
        for (var i = 0; i < AccountCluster.MaxUnjournaledOperations; i++)
        {
            acknowledged.Add(await account.Withdraw(TestIds.NewOperationId(), 1));
        }

        Assert.All(acknowledged, r => Assert.Equal(OperationStatus.Succeeded, r.Status));

        // Past the bound nothing new is executed (and nothing is acknowledged), but replays still answer.
        var refusedId = await RefusedPastTheBoundAsync(account, acknowledged[0]);

        JournalFaults.Restore(accountId);
        await JournalCaughtUpThenTheRefusedOneRunsOnceAsync(account, accountId, refusedId);
    }

    /// <summary>Past the bound a new withdrawal is refused unacknowledged, a replay still answers, and nothing moved; returns the refused ID.</summary>
    private static async Task<Guid> RefusedPastTheBoundAsync(IAccountGrain account, OperationResult acknowledged)
    {
        var refusedId = TestIds.NewOperationId();
        await Assert.ThrowsAsync<AccountStorageException>(() => account.Withdraw(refusedId, 1));
        Assert.Equal(acknowledged with { IsReplay = true }, await account.Withdraw(acknowledged.OperationId, 1));
        Assert.Equal(1000 - AccountCluster.MaxUnjournaledOperations, (await account.GetSnapshot()).Balance);
        return refusedId;
    }

    /// <summary>Once the journal answers again it holds every record, and the refused withdrawal, which never ran, executes once.</summary>
    private async Task JournalCaughtUpThenTheRefusedOneRunsOnceAsync(IAccountGrain account, string accountId, Guid refusedId)
    {
        var checkpoint = await ClientRetry.UntilAnsweredAsync(account.SyncJournal);
        Assert.Equal(1000 - AccountCluster.MaxUnjournaledOperations, checkpoint.Balance);
        Assert.Equal(checkpoint.LastSequence, await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, accountId));
        Assert.Equal(OperationStatus.Succeeded, (await account.Withdraw(refusedId, 1)).Status);
        Assert.True((await account.Withdraw(refusedId, 1)).IsReplay);
        Assert.Equal(1000 - AccountCluster.MaxUnjournaledOperations - 1, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task StartRetried_DebitJournaledButHowItEndedPrunedFirst_RefusedAsExpiredNotAnError_NothingMoved()
    {
        var (payer, payerId) = await OpenAccountAsync(1000);
        var (merchant, merchantId) = await OpenAccountAsync();
        var transferId = TestIds.NewOperationId();
        var transfer = fixture.Grains.GetGrain<ITransferGrain>(transferId);
        Assert.Equal(OperationStatus.Succeeded, (await transfer.Start(payerId, merchantId, 100)).Status);
        Assert.Equal(TransferState.Completed, (await TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, Patience)).State);

        // The debit and its "completed" record leave the payer's window for the journal; then a prune,
        // whose batches go in no order, deletes the "completed" record before the debit.
        for (var i = 0; i < AccountCluster.WindowSize + 4; i++)
        {
            Assert.Equal(OperationStatus.Succeeded, (await payer.Deposit(TestIds.NewOperationId(), 1)).Status);
        }

        await payer.SyncJournal();
        Assert.Equal(1, await JournalTable.ExecutePastTriggersAsync(
            fixture.Postgres,
            "DELETE FROM rm_operation_journal WHERE service_id = $1 AND account_id = $2 AND operation_id = $3",
            fixture.ServiceId, payerId, AccountRules.FinishedEventId(transferId)));

        var retried = await transfer.Start(payerId, merchantId, 100);

        Assert.Equal(OperationStatus.OperationExpired, retried.Status);
        Assert.Equal(TransferLookupStatus.Expired, (await payer.GetTransfer(transferId)).Status);
        Assert.Equal((920L, 100L), ((await payer.GetSnapshot()).Balance, (await merchant.GetSnapshot()).Balance));
    }

    [Fact]
    public async Task JournalHangsWithoutFailing_PastTheBoundAndTheStallTimeout_NewOperationsRefusedUnacknowledged_NothingLost()
    {
        // An append that neither confirms nor fails (a writer queued behind a lock, a hung connection)
        // must not let the window grow without the bound until the first failure finally arrives.
        var (account, accountId) = await OpenAccountAsync(1000);
        await account.SyncJournal();
        var gate = JournalFaults.HoldAppends(accountId);
        try
        {
            var acknowledged = new List<OperationResult>();
            for (var i = 0; i < AccountCluster.MaxUnjournaledOperations; i++)
            {
                acknowledged.Add(await account.Withdraw(TestIds.NewOperationId(), 1));
            }

            Assert.All(acknowledged, r => Assert.Equal(OperationStatus.Succeeded, r.Status));
            await gate.Holding.WaitAsync(Patience);
            await Task.Delay(AccountGrain.JournalStallTimeout + TimeSpan.FromMilliseconds(500));

            var refusedId = await RefusedPastTheBoundAsync(account, acknowledged[0]);

            gate.Open();
            await JournalCaughtUpThenTheRefusedOneRunsOnceAsync(account, accountId, refusedId);
        }
        finally
        {
            gate.Open();
        }
    }

    /// <summary>
    /// Waits for <paramref name="count"/> of the calls sent behind a held write to be answered (while the
    /// write is still held) and checks that exactly those were refused as unavailable.
    /// </summary>
    private static async Task<List<Task<OperationResult>>> RefusedAtOnceAsync(IReadOnlyList<Task<OperationResult>> behind, int count)
    {
        var answeredWithin = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (behind.Count(call => call.IsCompleted) < count && DateTime.UtcNow < answeredWithin)
        {
            await Task.Delay(20);
        }

        var refused = behind.Where(call => call.IsCompleted).ToList();
        Assert.Equal(count, refused.Count);
        foreach (var call in refused)
        {
            await Assert.ThrowsAsync<AccountStorageException>(() => call);
        }

        return refused;
    }

    [Fact]
    public async Task SlowStateWrite_JournalFine_OperationsQueuedPastTheBound_RefusedAsUnavailable_NoneExecuted()
    {
        // The database is slow, not down, and the journal has confirmed everything: what arrives during
        // one write is still bounded, or the next write (and every later one) grows by all of it.
        var (account, accountId) = await OpenAccountAsync(0);
        await account.SyncJournal();
        const int Bound = AccountCluster.MaxQueuedOperations;
        var ids = Enumerable.Range(0, Bound + 5).Select(_ => TestIds.NewOperationId()).ToList();
        var behind = new List<Task<OperationResult>>();
        var gate = StorageFaults.HoldWrites(accountId);
        try
        {
            var arrived = StorageFaults.NextWriteArrives(accountId);
            var held = account.Deposit(TestIds.NewOperationId(), 1);
            await arrived.WaitAsync(Patience);
            var started = AccountCalls.WhenStarted(accountId, nameof(IAccountGrain.Deposit), ids);
            behind.AddRange(ids.Select(id => account.Deposit(id, 1)));
            await started.WaitAsync(Patience);

            // The held one and Bound - 1 behind it wait for writes; the other six are refused at once.
            var refused = await RefusedAtOnceAsync(behind, 6);

            gate.TrySetResult();
            Assert.Equal(OperationStatus.Succeeded, (await held.WaitAsync(Patience)).Status);
            foreach (var call in behind.Where(call => !refused.Contains(call)))
            {
                Assert.Equal(OperationStatus.Succeeded, (await call.WaitAsync(Patience)).Status);
            }

            Assert.Equal(Bound, (await account.GetSnapshot()).Balance);
        }
        finally
        {
            gate.TrySetResult();
        }

        // The refused ones executed nothing: sent again with their IDs, each runs once.
        var refusedIds = ids.Where((_, i) => behind[i].IsFaulted).ToList();
        foreach (var id in refusedIds)
        {
            Assert.Equal((OperationStatus.Succeeded, false), await account.Deposit(id, 1) is var again ? (again.Status, again.IsReplay) : default);
        }

        Assert.Equal(Bound + 6, (await account.GetSnapshot()).Balance);
    }

    [Fact]
    public async Task JournalDown_OperationsQueuedBehindAWrite_CountTowardsTheBound_NoneAcknowledgedPastIt()
    {
        // Operations gathered while a write is in flight are decided on the pending state: each must
        // count the records decided before it, not only those of the state being written, or a burst
        // behind one write is acknowledged past the bound.
        var (account, accountId) = await OpenAccountAsync(1000);
        await account.SyncJournal();
        JournalFaults.TakeDown(accountId);
        const int Bound = AccountCluster.MaxUnjournaledOperations;
        for (var i = 0; i < Bound - 2; i++)
        {
            Assert.Equal(OperationStatus.Succeeded, (await account.Withdraw(TestIds.NewOperationId(), 1)).Status);
        }

        // The write of the bound's second-to-last record is held; ten more arrive behind it.
        var gate = StorageFaults.HoldWrites(accountId);
        try
        {
            var arrived = StorageFaults.NextWriteArrives(accountId);
            var held = account.Withdraw(TestIds.NewOperationId(), 1);
            await arrived.WaitAsync(Patience);
            var ids = Enumerable.Range(0, 10).Select(_ => TestIds.NewOperationId()).ToList();
            var started = AccountCalls.WhenStarted(accountId, nameof(IAccountGrain.Withdraw), ids);
            var behind = ids.Select(id => account.Withdraw(id, 1)).ToList();
            await started.WaitAsync(Patience);

            // Only the bound's last record is admitted; the other nine are refused before anything is written
            // (their answers are on their way back while the write is still held).
            var refused = await RefusedAtOnceAsync(behind, 9);

            gate.TrySetResult();
            Assert.Equal(OperationStatus.Succeeded, (await held.WaitAsync(Patience)).Status);
            Assert.Equal(OperationStatus.Succeeded, (await behind.Single(call => !refused.Contains(call)).WaitAsync(Patience)).Status);
            Assert.Equal(1000 - Bound, (await account.GetSnapshot()).Balance);
        }
        finally
        {
            // Released whatever failed above: a write held for ever would block the shared cluster's shutdown.
            gate.TrySetResult();
            JournalFaults.Restore(accountId);
        }

        var checkpoint = await ClientRetry.UntilAnsweredAsync(account.SyncJournal);
        Assert.Equal(1000 - Bound, checkpoint.Balance);
        Assert.Equal(checkpoint.LastSequence, await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, accountId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JournalAppendFailsWithAnError_SyncReportsTheError_NotARetryableOutage(bool refusedByTheDatabase)
    {
        var (account, accountId) = await OpenAccountAsync(1000);
        await account.SyncJournal();
        JournalFaults.Break(accountId, refusedByTheDatabase
            ? new JournalUnavailableException("Injected: the journal refused the rows.", isRefusal: true)
            : new InvalidOperationException("Injected: the journal refused the rows."));
        try
        {
            Assert.Equal(OperationStatus.Succeeded, (await account.Withdraw(TestIds.NewOperationId(), 1)).Status);

            // Retrying would fail the same way: the audit gets the error, not "storage unavailable, retry".
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => account.SyncJournal());
            Assert.Null(AccountStorageException.Find(failure));
            Assert.Contains("Injected: the journal refused the rows.", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            JournalFaults.Restore(accountId);
        }

        var checkpoint = await ClientRetry.UntilAnsweredAsync(account.SyncJournal);
        Assert.Equal(999, checkpoint.Balance);
        Assert.Equal(checkpoint.LastSequence, await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, accountId));
    }

    [Fact]
    public async Task Statement_ManyOperationsAcrossBothTiers_CompleteInOrderAndSumsToBalance()
    {
        var (account, accountId) = await OpenAccountAsync();
        var random = new Random(7);
        for (var i = 0; i < 60; i++)
        {
            var amount = random.Next(1, 50);
            _ = i % 3 == 2 ? await account.Withdraw(TestIds.NewOperationId(), amount * 3) : await account.Deposit(TestIds.NewOperationId(), amount);
        }

        await account.SyncJournal();
        await account.Deposit(TestIds.NewOperationId(), 5);
        var held = JournalFaults.HoldAppends(accountId);
        try
        {
            for (var i = 0; i < 5; i++)
            {
                // Committed but not yet in the journal: the statement must still show them.
                await account.Deposit(TestIds.NewOperationId(), 1);
            }

            // The case under test happened: an append was held, and the journal lacks the newest records.
            await held.Holding.WaitAsync(Patience);
            Assert.True(await JournalTable.CountAsync(fixture.Postgres, fixture.ServiceId, accountId) < 66);

            var entries = new List<StatementEntry>();
            long? after = 0;
            var pages = 0;
            while (after is { } cursor)
            {
                var page = await account.GetStatement(cursor, 7);
                Assert.Equal(AccountStatus.Open, page.Status);
                Assert.True(page.Entries.Count <= 7);
                entries.AddRange(page.Entries);
                after = page.NextAfter;
                pages++;
            }

            var snapshot = await account.GetSnapshot();
            Assert.Equal(Enumerable.Range(1, 66).Select(i => (long)i), entries.Select(e => e.Sequence));
            Assert.Equal(snapshot.Balance, entries.Sum(e => e.BalanceEffect));
            Assert.Equal(snapshot.Balance, entries[^1].BalanceAfter);
            Assert.Equal(10, pages);
            Assert.Contains(entries, e => e.Status == OperationStatus.InsufficientFunds);
        }
        finally
        {
            held.Open();
        }
    }
}
