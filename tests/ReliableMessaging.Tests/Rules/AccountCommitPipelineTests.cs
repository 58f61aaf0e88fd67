using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// Group commit without a cluster: every state write is a task the test completes or fails, so each
/// interleaving (operations arriving during a write, duplicates of pending operations, failures of
/// the in-flight and of the gathered batch) is exercised deterministically.
/// </summary>
public sealed class AccountCommitPipelineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly List<(AccountState Snapshot, TaskCompletionSource Write)> _writes = [];
    private readonly List<Exception> _faults = [];
    private readonly AccountCommitPipeline _pipeline;

    public AccountCommitPipelineTests()
    {
        var rules = new AccountRules(new AccountOptions
        {
            OperationWindowSize = 100,
            MaxClockSkew = TimeSpan.FromMinutes(1),
        });
        var committed = new AccountState { IsOpen = true, Balance = 1000, Version = 1 };
        _pipeline = new AccountCommitPipeline(rules, committed, Persist, _faults.Add);
    }

    private Task Persist(AccountState snapshot)
    {
        // Continuations run inline: completing a write resumes the pipeline on the test's thread.
        var write = new TaskCompletionSource();
        _writes.Add((snapshot, write));
        return write.Task;
    }

    private static Guid NewId(int millisecond = 0) => Guid.CreateVersion7(Now.AddMilliseconds(millisecond));

    /// <summary>
    /// Completes a write. With no synchronization context (<see cref="Play"/>) the pipeline resumes
    /// inline, so when this returns it has committed the write and started the next one, if any.
    /// </summary>
    private Task CompleteWriteAsync(int index)
    {
        _writes[index].Write.SetResult();
        return Task.CompletedTask;
    }

    /// <summary>Runs the steps with no synchronization context: continuations run inline, in order.</summary>
    private static Task Play(Func<Task> steps) => Task.Run(steps);

    [Fact]
    public Task CommitBatchSize_RecordedForAWriteThatCommits_NotForOneThatFails() => Play(async () =>
    {
        // The instrument is static and other tests record too: this test's measurements are those made
        // on its own thread (the pipeline resumes inline here) with its own sizes.
        var thread = Environment.CurrentManagedThreadId;
        var sizes = new System.Collections.Concurrent.ConcurrentBag<(int Size, int Thread)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument == AccountMetrics.CommitBatchSize)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => sizes.Add((value, Environment.CurrentManagedThreadId)));
        listener.Start();

        var first = _pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(), 1), Now);
        var gathered = Enumerable.Range(1, 13).Select(i => _pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(i), 1), Now)).ToList();
        await CompleteWriteAsync(0);
        Assert.Equal(OperationStatus.Succeeded, (await first).Status);
        Assert.Equal(2, _writes.Count);
        _writes[1].Write.SetException(new AccountStorageException("down"));
        await Assert.ThrowsAsync<AccountStorageException>(() => Task.WhenAll(gathered));

        Assert.Contains((1, thread), sizes);
        Assert.DoesNotContain((13, thread), sizes);
    });

    [Fact]
    public Task TransitionThrowingHalfWay_NothingOfItWritten_ThePipelineRetiresAndTheNextOperationIsRefusedAsUnavailable() => Play(async () =>
    {
        // A refund whose derived ID is already in the window (a collision of derived IDs, standing in
        // for any rule that throws after changing the state): FinishTransfer has removed the pending
        // transfer and numbered its event before Record throws. The next write must not carry that.
        var rules = new AccountRules(new AccountOptions { OperationWindowSize = 100, MaxClockSkew = TimeSpan.FromMinutes(1) });
        var transferId = NewId();
        var debit = new OperationRecord(transferId, OperationKind.TransferOut, 100, OperationStatus.Succeeded, 900, "bob", TransferState.Pending) { Sequence = 1, RecordedUnixMs = Now.ToUnixTimeMilliseconds() };
        var collision = new OperationRecord(TransferRecordIds.Finished(transferId), OperationKind.TransferIn, 1, OperationStatus.Succeeded, 901, "carol") { Sequence = 2, RecordedUnixMs = Now.ToUnixTimeMilliseconds() };
        var committed = new AccountState
        {
            IsOpen = true, Balance = 901, Version = 2, LastSequence = 2,
            Operations = [debit, collision],
            PendingTransfers = [new PendingTransfer(transferId, "bob", 100)],
        };
        var pipeline = new AccountCommitPipeline(rules, committed, Persist, _faults.Add);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ApplyAsync(state => rules.RefundTransfer(state, transferId, Now)));
        var next = pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(1), 1), Now);

        await Assert.ThrowsAsync<AccountStorageException>(() => next.WaitAsync(Timeout));
        Assert.Empty(_writes);
        Assert.Single(_faults);
        Assert.Equal((901L, 1), (pipeline.Committed.Balance, pipeline.Committed.PendingTransfers.Count));
    });

    [Theory]
    [InlineData(TransferState.Refunded)]
    [InlineData(TransferState.Completed)]
    public Task TransferFinishedOneWayWhileThatWriteIsInFlight_TheOtherWayDecidedOnPendingState_NoWriteAndTheMoneyMovesOnce(TransferState first) => Play(async () =>
    {
        // The delivery pass's "completed" and an operator's "refunded" (ResolveHeldTransfer) for one
        // transfer, both through the pipeline: the second is decided on the pending state, where the
        // transfer is no longer pending, so it changes nothing and writes nothing, whichever came first.
        var rules = new AccountRules(new AccountOptions { OperationWindowSize = 100, MaxClockSkew = TimeSpan.FromMinutes(1) });
        var transferId = NewId();
        var debit = new OperationRecord(transferId, OperationKind.TransferOut, 100, OperationStatus.Succeeded, 900, "bob", TransferState.Pending) { Sequence = 1, RecordedUnixMs = Now.ToUnixTimeMilliseconds() };
        var committed = new AccountState
        {
            IsOpen = true, Balance = 900, Version = 2, LastSequence = 1,
            Operations = [debit],
            PendingTransfers = [new PendingTransfer(transferId, "bob", 100)],
        };
        var pipeline = new AccountCommitPipeline(rules, committed, Persist, _faults.Add);
        Func<AccountState, bool> complete = state => rules.CompleteTransfer(state, transferId, Now);
        Func<AccountState, bool> refund = state => rules.RefundTransfer(state, transferId, Now);
        var (firstWay, otherWay) = first == TransferState.Refunded ? (refund, complete) : (complete, refund);

        var finishing = pipeline.ApplyAsync(firstWay);
        Assert.Single(_writes);
        var other = pipeline.ApplyAsync(otherWay);
        Assert.True(other.IsCompleted);
        Assert.False(await other);
        await CompleteWriteAsync(0);

        Assert.True(await finishing.WaitAsync(Timeout));
        Assert.Single(_writes);
        Assert.Empty(pipeline.Committed.PendingTransfers);
        Assert.Equal(first == TransferState.Refunded ? 1000L : 900L, pipeline.Committed.Balance);
        Assert.Equal(first, rules.TryLookupTransfer(pipeline.Committed, "alice", transferId, Now, null, out var lookup) ? lookup.Transfer!.State : null);
    });

    [Fact]
    public Task TransitionThrowingWhileAWriteIsInFlight_ThatWriteStillAnswersItsCallers_TheGatheredOnesFailAsUnavailable() => Play(async () =>
    {
        // The write in flight carries a snapshot from before the change: it may commit, so its callers
        // get its real outcome; only the operations gathered for the next write are refused.
        var inFlight = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(1), 100), Now);
        var gathered = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(2), 100), Now);
        Assert.Single(_writes);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _pipeline.ApplyAsync(_ => throw new InvalidOperationException("an invariant checked half-way")));
        await Assert.ThrowsAsync<AccountStorageException>(() => gathered.WaitAsync(Timeout));
        Assert.False(inFlight.IsCompleted);

        await CompleteWriteAsync(0);
        var answered = await inFlight.WaitAsync(Timeout);
        Assert.Equal((OperationStatus.Succeeded, 900L), (answered.Status, answered.BalanceAfter!.Value));
        Assert.Equal(900, _pipeline.Committed.Balance);
        Assert.Single(_writes);
    });

    [Fact]
    public Task SingleOperation_AnsweredOnlyAfterItsWriteSucceeds() => Play(async () =>
    {
        var call = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(), 100), Now);

        Assert.Single(_writes);
        Assert.False(call.IsCompleted);
        Assert.Equal(1000, _pipeline.Committed.Balance);

        await CompleteWriteAsync(0);
        Assert.Equal(900, (await call.WaitAsync(Timeout)).BalanceAfter);
        Assert.Equal(900, _pipeline.Committed.Balance);
    });

    [Fact]
    public Task OperationsArrivingDuringWrite_CommittedTogetherInNextWrite() => Play(async () =>
    {
        var first = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(1), 100), Now);
        var gathered = Enumerable.Range(2, 5).Select(i => _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(i), 10), Now)).ToList();

        Assert.Single(_writes);
        await CompleteWriteAsync(0);
        Assert.Equal(900, (await first.WaitAsync(Timeout)).BalanceAfter);
        Assert.All(gathered, call => Assert.False(call.IsCompleted));

        Assert.Equal(2, _writes.Count);
        Assert.Equal(850, _writes[1].Snapshot.Balance);
        Assert.Equal(6, _writes[1].Snapshot.Operations.Count);
        await CompleteWriteAsync(1);

        var results = await Task.WhenAll(gathered).WaitAsync(Timeout);
        Assert.Equal([890L, 880L, 870L, 860L, 850L], results.Select(r => r.BalanceAfter!.Value));
        Assert.Equal(2, _pipeline.WritesStarted);
        Assert.Equal(850, _pipeline.Committed.Balance);
    });

    [Fact]
    public Task OperationsQueuedBehindASlowWrite_PastTheBound_RefusedAsUnavailable_DuplicatesStillWait_RoomAgainOnceItCommits() => Play(async () =>
    {
        var rules = new AccountRules(new AccountOptions { OperationWindowSize = 100, MaxClockSkew = TimeSpan.FromMinutes(1), MaxQueuedOperations = 4 });
        var pipeline = new AccountCommitPipeline(rules, new AccountState { IsOpen = true, Balance = 1000, Version = 1 }, Persist, _faults.Add);

        // One in the write in flight, three gathered for the next: four decided and not written.
        var ids = Enumerable.Range(1, 5).Select(i => NewId(i)).ToList();
        var admitted = ids.Take(4).Select(id => pipeline.ExecuteAsync(new(OperationKind.Deposit, id, 1), Now)).ToList();
        var refused = pipeline.ExecuteAsync(new(OperationKind.Deposit, ids[4], 1), Now);
        var duplicate = pipeline.ExecuteAsync(new(OperationKind.Deposit, ids[3], 1), Now);

        await Assert.ThrowsAsync<AccountStorageException>(() => refused.WaitAsync(Timeout));
        Assert.False(duplicate.IsCompleted);
        Assert.Single(_writes);

        // The first write commits: three wait in the next, so there is room for one more.
        await CompleteWriteAsync(0);
        var roomAgain = pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(6), 1), Now);
        await Assert.ThrowsAsync<AccountStorageException>(() => pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(8), 1), Now).WaitAsync(Timeout));

        // Full again; a transfer's credit is never refused by it: clients retrying within a second would
        // otherwise take every freed place from a credit its source retries at the delivery's pace.
        var credit = pipeline.ExecuteAsync(new(OperationKind.TransferIn, TransferRecordIds.Credit(NewId(7)), 50, "payer"), Now);
        Assert.False(credit.IsCompleted);
        await CompleteWriteAsync(1);
        await CompleteWriteAsync(2);

        Assert.All(await Task.WhenAll(admitted).WaitAsync(Timeout), result => Assert.Equal(OperationStatus.Succeeded, result.Status));
        Assert.Equal(((await admitted[3]) with { IsReplay = true }), await duplicate.WaitAsync(Timeout));
        Assert.Equal(OperationStatus.Succeeded, (await roomAgain.WaitAsync(Timeout)).Status);
        Assert.Equal(OperationStatus.Succeeded, (await credit.WaitAsync(Timeout)).Status);
        Assert.Equal(1055, pipeline.Committed.Balance);

        // The refused one executed nothing: sent again, it runs once.
        Assert.Equal((OperationStatus.Succeeded, false), await Retried(pipeline.ExecuteAsync(new(OperationKind.Deposit, ids[4], 1), Now)));
        Assert.Empty(_faults);

        async Task<(OperationStatus, bool)> Retried(Task<OperationResult> call)
        {
            var write = _writes.Count - 1;
            await CompleteWriteAsync(write);
            var result = await call.WaitAsync(Timeout);
            return (result.Status, result.IsReplay);
        }
    });

    [Fact]
    public Task GatheredOperations_DecidedAgainstPendingState_NoOverdraft() => Play(async () =>
    {
        var first = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(1), 900), Now);
        var second = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(2), 200), Now);

        await CompleteWriteAsync(0);
        await CompleteWriteAsync(1);

        Assert.Equal(OperationStatus.Succeeded, (await first.WaitAsync(Timeout)).Status);
        var refused = await second.WaitAsync(Timeout);
        Assert.Equal((OperationStatus.InsufficientFunds, 100L), (refused.Status, refused.BalanceAfter!.Value));
    });

    [Fact]
    public Task DuplicateOfOperationInPendingBatch_WaitsAndGetsTheOneOutcome() => Play(async () =>
    {
        var id = NewId();
        var original = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 300), Now);
        var duplicate = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 300), Now);

        Assert.Single(_writes);
        Assert.False(duplicate.IsCompleted);
        await CompleteWriteAsync(0);

        Assert.Equal((await original.WaitAsync(Timeout)) with { IsReplay = true }, await duplicate);
        Assert.Single(_writes);
        Assert.Equal(700, _pipeline.Committed.Balance);
    });

    [Fact]
    public Task DuplicateOfOperationInGatheredBatch_WaitsForThatLaterWrite() => Play(async () =>
    {
        var blocker = _pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(1), 1), Now);
        var id = NewId(2);
        var original = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 50), Now);
        var duplicate = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 50), Now);

        await CompleteWriteAsync(0);
        await blocker.WaitAsync(Timeout);
        Assert.False(duplicate.IsCompleted);

        await CompleteWriteAsync(1);
        Assert.True((await duplicate.WaitAsync(Timeout)).IsReplay);
        Assert.Equal((await original.WaitAsync(Timeout)).BalanceAfter, (await duplicate.WaitAsync(Timeout)).BalanceAfter);
    });

    [Fact]
    public Task InFlightWriteFails_ItsBatchAndTheGatheredOneFailAndStateReverts() => Play(async () =>
    {
        var id = NewId(1);
        var inFlight = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 100), Now);
        var gathered = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(2), 100), Now);
        var duplicate = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 100), Now);

        var failure = new AccountStorageException("disk on fire");
        _writes[0].Write.SetException(failure);

        Assert.Same(failure, await Assert.ThrowsAsync<AccountStorageException>(() => inFlight));
        Assert.Same(failure, await Assert.ThrowsAsync<AccountStorageException>(() => gathered));
        Assert.Same(failure, await Assert.ThrowsAsync<AccountStorageException>(() => duplicate));
        Assert.Single(_writes);
        Assert.Equal(1000, _pipeline.Committed.Balance);
        Assert.Empty(_pipeline.Committed.Operations);
        Assert.Equal([failure], _faults);
    });

    [Fact]
    public Task GatheredWriteFails_EarlierBatchStaysCommittedLaterOnesFail() => Play(async () =>
    {
        var first = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(1), 100), Now);
        var second = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, NewId(2), 100), Now);
        await CompleteWriteAsync(0);
        Assert.Equal(900, (await first.WaitAsync(Timeout)).BalanceAfter);

        _writes[1].Write.SetException(new AccountStorageException("lost"));

        await Assert.ThrowsAsync<AccountStorageException>(() => second);
        Assert.Equal(900, _pipeline.Committed.Balance);
        Assert.Single(_pipeline.Committed.Operations);
    });

    [Fact]
    public Task AfterFailure_EveryCallRefusedUntilReloaded() => Play(async () =>
    {
        var call = _pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(), 5), Now);
        _writes[0].Write.SetException(new AccountStorageException("down"));
        await Assert.ThrowsAsync<AccountStorageException>(() => call);

        Assert.True(_pipeline.IsFaulted);
        await Assert.ThrowsAsync<AccountStorageException>(() => _pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(1), 5), Now));
        await Assert.ThrowsAsync<AccountStorageException>(() => _pipeline.LookupAsync(NewId(), Now));
        await Assert.ThrowsAsync<AccountStorageException>(() => _pipeline.OpenAsync());
        Assert.Single(_writes);
    });

    [Fact]
    public Task Lookup_OfPendingOperation_AnsweredFromPersistedRecordAfterWrite() => Play(async () =>
    {
        var id = NewId();
        var call = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 10), Now);
        var lookup = _pipeline.LookupAsync(id, Now);

        Assert.False(lookup.IsCompleted);
        await CompleteWriteAsync(0);

        Assert.Equal(new OperationLookupResult(OperationLookupStatus.Found, (await call.WaitAsync(Timeout)) with { IsReplay = true }), await lookup);
    });

    [Fact]
    public Task Refusals_WithoutWrite_OfInputAtOnce_OfPendingStateOnceItIsDurable() => Play(async () =>
    {
        var id = NewId(1);
        var pending = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 10), Now);

        var invalid = await _pipeline.ExecuteAsync(new(OperationKind.Deposit, NewId(2), 0), Now).WaitAsync(Timeout);
        var reused = _pipeline.ExecuteAsync(new(OperationKind.Deposit, id, 10), Now);

        Assert.Equal(OperationStatus.InvalidAmount, invalid.Status);
        Assert.False(reused.IsCompleted);
        await CompleteWriteAsync(0);
        Assert.Equal(OperationStatus.OperationIdReused, (await reused.WaitAsync(Timeout)).Status);
        Assert.Single(_writes);
        await pending.WaitAsync(Timeout);
    });

    [Fact]
    public Task Open_ConcurrentOpensAndDepositBehindPendingOpen_OneOpenedAndDepositCommittedAfter() => Play(async () =>
    {
        var closed = new AccountCommitPipeline(
            new AccountRules(new AccountOptions()), new AccountState(), Persist, _faults.Add);

        var open = closed.OpenAsync();
        var again = closed.OpenAsync();
        var deposit = closed.ExecuteAsync(new(OperationKind.Deposit, NewId(), 70), Now);

        await CompleteWriteAsync(0);
        Assert.Equal(OpenAccountStatus.Opened, (await open.WaitAsync(Timeout)).Status);
        Assert.Equal(OpenAccountStatus.AlreadyOpen, (await again.WaitAsync(Timeout)).Status);
        Assert.False(deposit.IsCompleted);
        await CompleteWriteAsync(1);
        Assert.Equal(70, (await deposit.WaitAsync(Timeout)).BalanceAfter);
        Assert.Equal((true, 70L, 2L), (closed.Committed.IsOpen, closed.Committed.Balance, closed.Committed.Version));
    });
}
