using Orleans.TestingHost;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>Transfers end to end on a real cluster: exactly once, conserved, through refusals and faults.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TransferTests(ClusterFixture fixture)
{
    /// <summary>How long delivery may take to resume after a silo was killed or PostgreSQL restarted.</summary>
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long a delivery may take on the shared cluster (retried every <see cref="AccountCluster.TransferRetryPeriod"/>).</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(20);

    private async Task<string> OpenAsync(long balance) => (await TestAccounts.OpenFundedAsync(fixture.Grains, balance)).AccountId;

    private async Task<long> BalanceAsync(string accountId) =>
        (await fixture.Grains.GetGrain<IAccountGrain>(accountId).GetSnapshot()).Balance;

    /// <summary>A funded source, a destination holding <paramref name="toBalance"/>, and a transfer between them, not started.</summary>
    private async Task<(string From, string To, Guid TransferId, ITransferGrain Transfer)> NewTransferAsync(long fromBalance, long toBalance)
    {
        var (from, to, transferId) = (await OpenAsync(fromBalance), await OpenAsync(toBalance), TestIds.NewOperationId());
        return (from, to, transferId, fixture.Grains.GetGrain<ITransferGrain>(transferId));
    }

    private Task<TransferResult> WaitFinishedAsync(Guid transferId, TimeSpan? timeout = null) =>
        TransferCompletion.WaitFinishedAsync(fixture.Grains, transferId, timeout ?? DeliveryTimeout);

    [Fact]
    public async Task Transfer_Completes_CreditedOnceAndRetryReplays()
    {
        var (from, to, transferId, transfer) = await NewTransferAsync(1000, 50);

        var started = await transfer.Start(from, to, 300);
        var finished = await WaitFinishedAsync(transferId);
        var retry = await transfer.Start(from, to, 300);

        Assert.Equal((OperationStatus.Succeeded, false), (started.Status, started.IsReplay));
        Assert.Equal(TransferState.Completed, finished.State);
        Assert.NotNull(finished.FinishedAt);
        Assert.Equal((OperationStatus.Succeeded, TransferState.Completed, true), (retry.Status, retry.State, retry.IsReplay));
        Assert.Equal((700L, 350L), (await BalanceAsync(from), await BalanceAsync(to)));

        // The credit was recorded at the destination under the derived ID, once.
        var credit = await fixture.Grains.GetGrain<IAccountGrain>(to).GetOperation(TransferRecordIds.Credit(transferId));
        Assert.Equal((OperationLookupStatus.Found, OperationKind.TransferIn, 300L), (credit.Status, credit.Operation!.Kind, credit.Operation.Amount));
    }

    [Fact]
    public async Task Transfer_ToMissingAccount_RefundedExactlyOnce()
    {
        var from = await OpenAsync(1000);
        var missing = TestIds.NewId("missing");
        var transferId = TestIds.NewOperationId();

        await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, missing, 400);
        var finished = await WaitFinishedAsync(transferId);
        var retry = await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, missing, 400);

        Assert.Equal(TransferState.Refunded, finished.State);
        Assert.Equal(TransferState.Refunded, retry.State);
        Assert.Equal(1000, await BalanceAsync(from));
        Assert.Equal(AccountStatus.NotFound, (await fixture.Grains.GetGrain<IAccountGrain>(missing).GetSnapshot()).Status);
        var refund = await fixture.Grains.GetGrain<IAccountGrain>(from).GetOperation(TransferRecordIds.Refund(transferId));
        Assert.Equal(OperationKind.TransferRefund, refund.Operation!.Kind);
    }

    [Theory]
    [InlineData(OperationKind.Deposit)]
    [InlineData(OperationKind.Withdrawal)]
    public async Task Transfer_ClientTriesTheDerivedCreditIdBeforehand_RefusedAsNotAClientKeyAndTransferCompletes(OperationKind attack)
    {
        // Issue 16 item 1: a client tries to take the transfer's credit ID at B before the transfer.
        var (from, to, transferId, transfer) = await NewTransferAsync(1000, 0);
        var creditId = TransferDelivery.CreditId(transferId);
        var destination = fixture.Grains.GetGrain<IAccountGrain>(to);
        var taken = attack == OperationKind.Deposit ? await destination.Deposit(creditId, 1) : await destination.Withdraw(creditId, 1);
        Assert.Equal(OperationStatus.InvalidOperationId, taken.Status);

        var started = await transfer.Start(from, to, 400);
        var finished = await WaitFinishedAsync(transferId);

        Assert.Equal((OperationStatus.Succeeded, TransferState.Pending), (started.Status, started.State));
        Assert.Equal(TransferState.Completed, finished.State);
        Assert.Equal((600L, 400L), (await BalanceAsync(from), await BalanceAsync(to)));
        var credit = await destination.GetOperation(creditId);
        Assert.Equal((OperationKind.TransferIn, 400L), (credit.Operation!.Kind, credit.Operation.Amount));
    }

    [Fact]
    public async Task ManyTransfers_WithTakenCreditIdsAndMissingDestinations_EachCompletedOrRefundedAndMoneyConserved()
    {
        // Every third transfer's credit ID is tried by a client deposit of 1 beforehand (refused:
        // not a client key), every fifth goes to an account that does not exist. They run at once in
        // waves of one outbox per source, so every one is accepted and each case is exercised.
        var accounts = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            accounts.Add(await OpenAsync(1000));
        }

        var plans = Enumerable.Range(0, 6 * accounts.Count).Select(i => (
            Id: TestIds.NewOperationId(),
            From: accounts[i % 4],
            To: i % 5 == 0 ? TestIds.NewId("missing") : accounts[(i + 1 + (i / 4 % 3)) % 4],
            Amount: 10L + i,
            Taken: i % 3 == 0 && i % 5 != 0)).ToList();
        foreach (var plan in plans.Where(p => p.Taken))
        {
            var tried = await fixture.Grains.GetGrain<IAccountGrain>(plan.To).Deposit(TransferDelivery.CreditId(plan.Id), 1);
            Assert.Equal(OperationStatus.InvalidOperationId, tried.Status);
        }

        var expected = accounts.ToDictionary(account => account, _ => 1000L);
        foreach (var wave in plans.Chunk(AccountCluster.MaxPendingTransfers * accounts.Count))
        {
            var starts = await Task.WhenAll(wave.Select(p => fixture.Grains.GetGrain<ITransferGrain>(p.Id).Start(p.From, p.To, p.Amount)));
            foreach (var (plan, start) in wave.Zip(starts))
            {
                Assert.Equal(OperationStatus.Succeeded, start.Status);
                var finished = await WaitFinishedAsync(plan.Id, TimeSpan.FromSeconds(30));
                var missing = plan.To.StartsWith("missing", StringComparison.Ordinal);
                Assert.True((missing ? TransferState.Refunded : TransferState.Completed) == finished.State,
                    $"Transfer {plan.Id} to {plan.To} (credit ID taken: {plan.Taken}) ended {finished.State}.");
                if (!missing)
                {
                    expected[plan.From] -= plan.Amount;
                    expected[plan.To] += plan.Amount;
                }
            }
        }

        // Each account exactly: a transfer debited twice and credited twice would leave the total intact.
        foreach (var account in accounts)
        {
            Assert.Equal((account, expected[account]), (account, await BalanceAsync(account)));
        }
    }

    [Fact]
    public async Task Transfer_ReminderRowExistsWhilePending_RemovedOnceTheOutboxIsEmpty()
    {
        // Issue 16 item 2, end to end: the durable wake-up is in PostgreSQL while money waits in the outbox.
        var (from, to, transferId, transfer) = await NewTransferAsync(1000, 0);
        var gate = StorageFaults.HoldWrites(to);
        try
        {
            var started = await transfer.Start(from, to, 100);
            Assert.Equal(TransferState.Pending, started.State);
            Assert.Equal(1, await ReminderRowsAsync(from));
        }
        finally
        {
            gate.SetResult();
        }

        Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(transferId)).State);

        // The removal follows the completion's write, in the background.
        await Eventually.ReachedAsync(() => ReminderRowsAsync(from), rows => rows == 0, DeliveryTimeout,
            rows => $"The delivery reminder was not removed after the outbox emptied ({rows} rows)");
    }

    [Fact]
    public async Task Transfer_RepeatedAfterItFinished_AnsweredFromTheSourcesRecord_NoWriteNoReminder()
    {
        // A replay is charged as costing no write; a repeat that re-registered the source's reminder
        // (and removed it again, a state write and a delete) would let a caller write at the replay rate.
        var (from, to, transferId, transfer) = await NewTransferAsync(1000, 0);
        var started = await transfer.Start(from, to, 100);
        Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(transferId)).State);
        await Eventually.ReachedAsync(() => ReminderRowsAsync(from), rows => rows == 0, DeliveryTimeout,
            rows => $"The delivery reminder was not removed after the outbox emptied ({rows} rows)");
        var writes = StorageFaults.WriteCount(from);

        var repeats = new List<TransferResult>();
        for (var i = 0; i < 3; i++)
        {
            repeats.Add(await transfer.Start(from, to, 100));
            Assert.Equal(0, await ReminderRowsAsync(from));
        }

        Assert.All(repeats, repeat => Assert.Equal(
            (OperationStatus.Succeeded, TransferState.Completed, true, started.TransferId, 100L),
            (repeat.Status, repeat.State, repeat.IsReplay, repeat.TransferId, repeat.Amount)));
        Assert.Equal(writes, StorageFaults.WriteCount(from));
        Assert.Equal((900L, 100L), (await BalanceAsync(from), await BalanceAsync(to)));
    }

    [Fact]
    public async Task Transfer_RefusedForFunds_RepeatedLater_ReplaysTheRefusal_NoReminder()
    {
        var (from, to, transferId, transfer) = await NewTransferAsync(50, 0);
        var refused = await transfer.Start(from, to, 100);
        Assert.Equal(OperationStatus.InsufficientFunds, refused.Status);
        await Eventually.ReachedAsync(() => ReminderRowsAsync(from), rows => rows == 0, DeliveryTimeout,
            rows => $"The delivery reminder was not removed ({rows} rows)");
        await fixture.Grains.GetGrain<IAccountGrain>(from).Deposit(TestIds.NewOperationId(), 500);

        var repeat = await transfer.Start(from, to, 100);

        Assert.Equal((OperationStatus.InsufficientFunds, true), (repeat.Status, repeat.IsReplay));
        Assert.Equal(0, await ReminderRowsAsync(from));
        Assert.Equal((550L, 0L), (await BalanceAsync(from), await BalanceAsync(to)));
        Assert.Equal(TransferLookupStatus.Found, (await transfer.GetStatus()).Status);
    }

    private async Task<long> ReminderRowsAsync(string accountId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM orleansreminderstable WHERE serviceid = @service AND grainid LIKE @grain AND remindername = 'transfer-delivery'", connection);
        command.Parameters.AddWithValue("service", fixture.ServiceId);
        command.Parameters.AddWithValue("grain", "%/" + accountId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task GetTransfer_WhileTheDebitIsBeingWritten_WaitsAndFindsItInsteadOfUnknown()
    {
        // Issue 16 item 4: a look-up during the debit's write must not answer "no such transfer".
        var (from, to, transferId, transfer) = await NewTransferAsync(1000, 0);
        var arrived = StorageFaults.NextWriteArrives(from);
        var gate = StorageFaults.HoldWrites(from);
        Task<TransferLookupResult> lookup;
        Task<TransferResult> start;
        try
        {
            start = transfer.Start(from, to, 300);
            await arrived.WaitAsync(SignalTimeout);

            // Control: a look-up of a transfer nobody started is answered at once, from the state alone, and
            // the signal says so. That is what a look-up that did not wait for the debit would do.
            var source = fixture.Grains.GetGrain<IAccountGrain>(from);
            var unknownId = TestIds.NewOperationId();
            var control = AccountCalls.WhenStarted(from, nameof(IAccountGrain.GetTransfer), [unknownId]);
            Assert.Equal(TransferLookupStatus.Unknown, (await source.GetTransfer(unknownId)).Status);
            Assert.False(await control.WaitAsync(SignalTimeout));

            var reached = AccountCalls.WhenStarted(from, nameof(IAccountGrain.GetTransfer), [transferId]);
            lookup = source.GetTransfer(transferId);
            Assert.True(await reached.WaitAsync(SignalTimeout), "The look-up answered while the debit was still being written.");
            Assert.False(lookup.IsCompleted);
        }
        finally
        {
            gate.SetResult();
        }

        var found = await lookup;
        Assert.Equal(TransferLookupStatus.Found, found.Status);
        Assert.Equal(OperationStatus.Succeeded, (await start).Status);
        Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(transferId)).State);
    }

    [Fact]
    public async Task GetStatus_TransferReceivedButNotDebitedAtItsSource_UnconfirmedNeverUnknown()
    {
        var missing = TestIds.NewId("missing");
        var to = await OpenAsync(0);
        var transfer = fixture.Grains.GetGrain<ITransferGrain>(TestIds.NewOperationId());

        Assert.Equal(OperationStatus.AccountNotFound, (await transfer.Start(missing, to, 100)).Status);

        Assert.Equal(TransferLookupStatus.Unconfirmed, (await transfer.GetStatus()).Status);
        Assert.Equal(TransferLookupStatus.Unknown, (await fixture.Grains.GetGrain<ITransferGrain>(TestIds.NewOperationId()).GetStatus()).Status);
    }

    [Fact]
    public async Task StartTransfer_SourceNeverOpened_RefusedWithoutAReminderOrAWrite_OpenedLaterTheSameIdDebitsOnce()
    {
        // Anyone allowed to name an account could otherwise leave a reminder (and, at its tick, a state
        // row) behind for every ID that never existed.
        var (missing, to, transferId, transfer, source) = await NewTransferFromUnopenedAsync("never");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(OperationStatus.AccountNotFound, (await transfer.Start(missing, to, 100)).Status);
        }

        Assert.Equal(0, await RemindersOfAsync(missing));
        Assert.Equal(0, StorageFaults.WriteCount(missing));
        Assert.Equal(AccountStatus.NotFound, (await source.GetSnapshot()).Status);

        // The refusal was not recorded: once the account exists, the same ID is a new transfer, debited once.
        await source.Open();
        await source.Deposit(TestIds.NewOperationId(), 500);
        var started = await transfer.Start(missing, to, 100);
        var repeated = await transfer.Start(missing, to, 100);
        Assert.Equal((OperationStatus.Succeeded, false, true), (started.Status, started.IsReplay, repeated.IsReplay));
        Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(transferId)).State);
        Assert.Equal((400L, 100L), (await BalanceAsync(missing), await BalanceAsync(to)));
    }

    [Fact]
    public async Task StartTransfer_WhileTheSourcesOpenIsBeingWritten_RefusedAsNotFound_NoDebitNoReminder_ThenStartsOnce()
    {
        // The account grain is reentrant: a start that arrives while its Open is still being written is
        // decided on committed state (not open), so it is ordered before the Open and debits nothing.
        var (opening, to, transferId, transfer, source) = await NewTransferFromUnopenedAsync("opening");
        var arrived = StorageFaults.NextWriteArrives(opening);
        var gate = StorageFaults.HoldWrites(opening);
        Task<OpenAccountResult> open;
        try
        {
            open = source.Open();
            await arrived.WaitAsync(SignalTimeout);
            Assert.Equal(OperationStatus.AccountNotFound, (await transfer.Start(opening, to, 100)).Status);
            Assert.Equal(0, await RemindersOfAsync(opening));
        }
        finally
        {
            gate.SetResult();
        }

        Assert.Equal(OpenAccountStatus.Opened, (await open).Status);
        Assert.Equal(0, (await source.GetSnapshot()).Balance);
        await source.Deposit(TestIds.NewOperationId(), 300);
        var started = await transfer.Start(opening, to, 100);
        Assert.Equal((OperationStatus.Succeeded, false), (started.Status, started.IsReplay));
        Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(transferId)).State);
        Assert.Equal((200L, 100L), (await BalanceAsync(opening), await BalanceAsync(to)));
    }

    /// <summary>A transfer from an account that was never opened (named after <paramref name="prefix"/>) to an open one.</summary>
    private async Task<(string From, string To, Guid TransferId, ITransferGrain Transfer, IAccountGrain Source)> NewTransferFromUnopenedAsync(string prefix)
    {
        var from = TestIds.NewId(prefix);
        var to = await OpenAsync(0);
        var transferId = TestIds.NewOperationId();
        return (from, to, transferId, fixture.Grains.GetGrain<ITransferGrain>(transferId), fixture.Grains.GetGrain<IAccountGrain>(from));
    }

    private async Task<int> RemindersOfAsync(string accountId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*)::int FROM orleansreminderstable WHERE grainid LIKE '%' || $1", connection);
        command.Parameters.AddWithValue(accountId);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Transfer_InsufficientFunds_RecordedAndReplayed()
    {
        var (from, to, _, transfer) = await NewTransferAsync(100, 0);

        var refused = await transfer.Start(from, to, 150);
        await fixture.Grains.GetGrain<IAccountGrain>(from).Deposit(TestIds.NewOperationId(), 1000);
        var retry = await transfer.Start(from, to, 150);

        Assert.Equal(OperationStatus.InsufficientFunds, refused.Status);
        Assert.Equal((OperationStatus.InsufficientFunds, true), (retry.Status, retry.IsReplay));
        Assert.Equal((1100L, 0L), (await BalanceAsync(from), await BalanceAsync(to)));
    }

    [Theory]
    [InlineData(0, 301)]
    [InlineData(1, 300)]
    [InlineData(2, 300)]
    public async Task Transfer_SameIdOtherParameters_RefusedAsReused(int changed, long amount)
    {
        var (from, to, transferId, transfer) = await NewTransferAsync(1000, 0);
        var other = await OpenAsync(1000);
        await transfer.Start(from, to, 300);
        await WaitFinishedAsync(transferId);

        var reused = changed switch
        {
            0 => await transfer.Start(from, to, amount),
            1 => await transfer.Start(other, to, amount),
            _ => await transfer.Start(from, other, amount),
        };

        Assert.Equal(OperationStatus.OperationIdReused, reused.Status);
        Assert.Equal((700L, 300L, 1000L), (await BalanceAsync(from), await BalanceAsync(to), await BalanceAsync(other)));
    }

    [Fact]
    public async Task Transfer_OutboxFull_RefusedUntilDeliveriesFinish()
    {
        var from = await OpenAsync(1000);
        var to = await OpenAsync(0);
        var gate = StorageFaults.HoldWrites(to);
        var ids = Enumerable.Range(0, AccountCluster.MaxPendingTransfers).Select(_ => TestIds.NewOperationId()).ToList();
        try
        {
            foreach (var id in ids)
            {
                Assert.Equal(TransferState.Pending, (await fixture.Grains.GetGrain<ITransferGrain>(id).Start(from, to, 10)).State);
            }

            var refused = await fixture.Grains.GetGrain<ITransferGrain>(TestIds.NewOperationId()).Start(from, to, 10);
            Assert.Equal(OperationStatus.TooManyPendingTransfers, refused.Status);
            Assert.Equal(1000L - (10 * ids.Count), await BalanceAsync(from));
        }
        finally
        {
            // Released whatever failed above: held credits would be redelivered for the rest of the run.
            gate.TrySetResult();
        }

        foreach (var id in ids)
        {
            Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(id)).State);
        }

        var lastId = TestIds.NewOperationId();
        Assert.Equal(TransferState.Pending, (await fixture.Grains.GetGrain<ITransferGrain>(lastId).Start(from, to, 10)).State);
        Assert.Equal(TransferState.Completed, (await WaitFinishedAsync(lastId)).State);
        Assert.Equal((950L, 50L), (await BalanceAsync(from), await BalanceAsync(to)));
    }

    [Fact]
    public async Task Transfer_DestinationWritesFailingThenRecover_DeliveredExactlyOnceAndConserved()
    {
        var from = await OpenAsync(1000);
        var to = await OpenAsync(0);
        for (var i = 0; i < 3; i++)
        {
            StorageFaults.Arm(to, StorageFault.FailBeforeWrite);
        }

        StorageFaults.Arm(to, StorageFault.FailAfterWrite); // credited, but the answer is lost: redelivery must not credit again
        var transferId = TestIds.NewOperationId();

        await fixture.Grains.GetGrain<ITransferGrain>(transferId).Start(from, to, 250);
        var finished = await WaitFinishedAsync(transferId, TimeSpan.FromSeconds(30));

        Assert.Equal(TransferState.Completed, finished.State);
        Assert.Equal((750L, 250L), (await BalanceAsync(from), await BalanceAsync(to)));
    }

    [Fact]
    public Task Transfer_SourceSiloKilledAfterDebitBeforeCredit_DeliveryResumesAndConserves() =>
        // The reminder (or any call) reactivates the source on the survivor, which redelivers.
        TransferThroughFaultAsync(fixture.Postgres, silos: 2, amount: 600, async (cluster, held) =>
        {
            await KillHostOfAsync(cluster, held.Source);
            held.CreditGate.SetResult();
        });

    [Fact]
    public Task Transfer_DestinationSiloKilledDuringDelivery_CreditedOnceAndConserved() =>
        TransferThroughFaultAsync(fixture.Postgres, silos: 2, amount: 450, async (cluster, held) =>
        {
            // The credit is in flight at the destination (its write held) when the destination's silo dies.
            await held.CreditArrives.WaitAsync(SignalTimeout);
            await KillHostOfAsync(cluster, held.Destination);
            held.CreditGate.SetResult();
        });

    [Fact]
    public async Task Transfer_PostgresRestartsMidTransfer_EndsCompletedAndConserved()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await TransferThroughFaultAsync(postgres, silos: 1, amount: 333, async (_, held) =>
        {
            // The credit's write is held, then PostgreSQL goes away under it: the write fails.
            await held.CreditArrives.WaitAsync(SignalTimeout);
            await postgres.StopAsync();
            try
            {
                var creditEnds = StorageFaults.NextWriteEnds(held.To);
                held.CreditGate.SetResult();
                Assert.NotNull(await creditEnds.WaitAsync(SignalTimeout));
            }
            finally
            {
                await postgres.StartAgainAsync();
            }
        });
    }

    /// <summary>
    /// Transfers <paramref name="amount"/> of 1000 on a cluster of its own (so its silos can be killed) while
    /// <paramref name="fault"/> strikes: the source has debited and holds the transfer in its outbox, the credit's
    /// write at the destination is held until the fault completes the gate. Delivery must then end completed,
    /// with the money conserved.
    /// </summary>
    private static async Task TransferThroughFaultAsync(
        PostgresServer postgres, short silos, long amount,
        Func<TestCluster, (IAccountGrain Source, IAccountGrain Destination, string To, Task CreditArrives, TaskCompletionSource CreditGate), Task> fault)
    {
        var cluster = await AccountCluster.StartAsync(postgres, $"transfer-fault-{Guid.NewGuid():N}", silos);
        TaskCompletionSource? gate = null;
        try
        {
            var (source, from) = await TestAccounts.OpenFundedAsync(cluster.Client, 1000);
            var (destination, to) = await TestAccounts.OpenFundedAsync(cluster.Client, 0);

            gate = StorageFaults.HoldWrites(to);
            var creditArrives = StorageFaults.NextWriteArrives(to);
            var transferId = TestIds.NewOperationId();
            var started = await cluster.Client.GetGrain<ITransferGrain>(transferId).Start(from, to, amount);
            Assert.Equal(TransferState.Pending, started.State);
            await fault(cluster, (source, destination, to, creditArrives, gate));

            Assert.Equal(TransferState.Completed, (await TransferCompletion.WaitFinishedAsync(cluster.Client, transferId, RecoveryTimeout)).State);
            Assert.Equal(
                (1000 - amount, amount),
                ((await ClientRetry.UntilAnsweredAsync(source.GetSnapshot)).Balance, (await ClientRetry.UntilAnsweredAsync(destination.GetSnapshot)).Balance));
        }
        finally
        {
            gate?.TrySetResult(); // never leave a write held behind a failed assertion
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task KillHostOfAsync(TestCluster cluster, IAccountGrain account)
    {
        var host = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(account);
        await cluster.KillSiloAsync(cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
    }
}
