using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Tests.Journal;

/// <summary>The pipeline's journal paths without a cluster: look-ups before deciding, and refusal while the journal fails.</summary>
public sealed class AccountCommitPipelineJournalTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly AccountRules _rules = new(new AccountOptions { OperationWindowSize = 2, MaxClockSkew = TimeSpan.FromMinutes(1) });
    private readonly List<OperationRecord> _journal = [];
    private readonly List<IReadOnlyList<Guid>> _lookups = [];
    private int _writes;
    private bool _journalDown;
    private Exception? _journalFailure;
    private TaskCompletionSource? _lookupGate;

    private AccountCommitPipeline Pipeline(AccountState committed) => new(
        _rules,
        committed,
        _ =>
        {
            _writes++;
            return Task.CompletedTask;
        },
        _ => { },
        async ids =>
        {
            // The journal answers as it is when asked; a gated answer arrives later, as from a slow database.
            _lookups.Add(ids);
            var down = _journalDown;
            var found = _journal.Where(r => ids.Contains(r.OperationId)).ToList();
            var gate = _lookupGate;
            _lookupGate = null;
            if (gate is not null)
            {
                await gate.Task;
            }

            return down ? throw new AccountStorageException("journal down") : new JournalLookup(found, 0);
        },
        journalRefusal: _ => _journalFailure);

    /// <summary>A state whose two oldest records were journaled and left the window.</summary>
    private (AccountState State, OperationRecord Evicted) StateWithEvictedRecord()
    {
        var state = new AccountState { IsOpen = true, Balance = 1000 };
        var first = _rules.Process(state, new(OperationKind.Withdrawal, Guid.CreateVersion7(Now.AddSeconds(-10)), 100), Now);
        for (var i = 0; i < 3; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddSeconds(i)), 1), Now);
        }

        _journal.AddRange(state.Operations);
        _rules.MarkJournaled(state, state.LastSequence);
        var evicted = _journal.Single(r => r.OperationId == first.OperationId);
        Assert.Null(OperationWindow.Find(state, first.OperationId));
        return (state, evicted);
    }

    [Fact]
    public async Task Statement_StoredStateNotYetKnowingItsRecordsJournaled_StillAsksTheJournalForWhatItPruned()
    {
        // JournaledThrough is saved with the next write, so a quiet account's stored state may say 0
        // although the journal holds (and has since pruned) its records: the statement must still ask.
        var state = new AccountState { IsOpen = true };
        for (var i = 0; i < 3; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddSeconds(i)), 10), Now);
        }

        Assert.Equal(0, state.JournaledThrough);
        var floor = Uuid7.GetUnixTimeMilliseconds(state.Operations[1].OperationId);
        var asked = 0;

        var page = await Pipeline(state).StatementAsync(0, 10, (_, _) =>
        {
            asked++;
            return Task.FromResult(new JournalPage([], 2, 20, floor, 2));
        });

        Assert.Equal(1, asked);
        Assert.Equal([3L], page.Entries.Select(e => e.Sequence));
        Assert.Equal(state.Balance, page.PrunedEffect + page.Entries.Sum(e => e.BalanceEffect));
    }

    [Fact]
    public async Task Statement_RecordsCommittedJournaledAndEvictedWhileItReadsTheJournal_PageHasNoGapAndEndsAtItsBalance()
    {
        // The journal answers as it was when asked; meanwhile more operations commit, are journaled and
        // leave the window. The page must be the one of the state it started from: read against the
        // window as it is after the read, records 5 and 6 would be in neither.
        var (state, _) = StateWithEvictedRecord();
        var pipeline = Pipeline(state);
        var before = (Balance: state.Balance, state.LastSequence);

        var page = await pipeline.StatementAsync(0, 100, async (after, limit) =>
        {
            var asked = new JournalPage([.. _journal.Where(r => r.Sequence > after).OrderBy(r => r.Sequence).Take(limit)]);
            // IDs newer than every record so far, each its own millisecond: the window keeps the newest.
            for (var i = 0; i < 3; i++)
            {
                await pipeline.ExecuteAsync(new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddSeconds(10 + i)), 7), Now);
            }

            _journal.AddRange(pipeline.Committed.Operations.Where(r => _journal.All(j => j.OperationId != r.OperationId)));
            pipeline.MarkJournaled(pipeline.Committed.LastSequence);
            await pipeline.ExecuteAsync(new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddSeconds(20)), 7), Now);
            Assert.DoesNotContain(pipeline.Committed.Operations, r => r.Sequence <= before.LastSequence + 2);
            return asked;
        });

        Assert.Equal(Enumerable.Range(1, (int)before.LastSequence).Select(i => (long)i), page.Entries.Select(e => e.Sequence));
        Assert.Equal((before.Balance, before.LastSequence), (page.Balance, page.LastSequence));
        Assert.Equal(page.Balance, page.Entries[^1].BalanceAfter);
    }

    [Fact]
    public async Task Execute_RetryOfEvictedOperation_AnsweredFromJournalWithoutWrite()
    {
        var (state, evicted) = StateWithEvictedRecord();
        var pipeline = Pipeline(state);

        var retry = await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, evicted.OperationId, 100), Now);

        Assert.Equal(evicted.ToResult(isReplay: true), retry);
        Assert.Equal([evicted.OperationId], Assert.Single(_lookups));
        Assert.Equal(0, _writes);
    }

    [Fact]
    public async Task Execute_OldIdNeverExecuted_LooksUpThenExecutesOnce()
    {
        var (state, _) = StateWithEvictedRecord();
        var pipeline = Pipeline(state);
        var late = Guid.CreateVersion7(Now.AddSeconds(-30));

        var executed = await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, late, 50), Now);
        var retry = await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, late, 50), Now);

        Assert.Equal((OperationStatus.Succeeded, false), (executed.Status, executed.IsReplay));
        Assert.Equal(executed with { IsReplay = true }, retry);
        Assert.Single(_lookups);
        Assert.Equal(1, _writes);
    }

    [Fact]
    public async Task Execute_DuplicateExecutesAndLeavesTheWindowWhileTheFirstWaitsForItsLookUp_FirstReplaysNeverExecutesAgain()
    {
        // Two calls with one old ID: the first waits for the journal (which does not hold it yet); the
        // duplicate executes meanwhile, is journaled and leaves the window. The first's journal answer
        // ("not there") is stale by then: it must look again and replay, never execute a second time.
        var (state, _) = StateWithEvictedRecord();
        var pipeline = Pipeline(state);
        var late = Guid.CreateVersion7(Now.AddSeconds(-30));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _lookupGate = gate;

        var first = pipeline.ExecuteAsync(new(OperationKind.Withdrawal, late, 50), Now);
        var duplicate = await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, late, 50), Now);
        Assert.Equal((OperationStatus.Succeeded, false), (duplicate.Status, duplicate.IsReplay));
        for (var i = 0; i < 2; i++)
        {
            await pipeline.ExecuteAsync(new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddSeconds(10 + i)), 1), Now);
        }

        _journal.AddRange(pipeline.Committed.Operations.Where(r => _journal.All(j => j.OperationId != r.OperationId)));
        pipeline.MarkJournaled(pipeline.Committed.LastSequence);
        await pipeline.ExecuteAsync(new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddSeconds(20)), 1), Now);
        Assert.Null(OperationWindow.Find(pipeline.Committed, late));
        var writes = _writes;
        var balance = pipeline.Committed.Balance;

        gate.SetResult();

        Assert.Equal(duplicate with { IsReplay = true }, await first);
        Assert.Equal(writes, _writes);
        Assert.Equal(balance, pipeline.Committed.Balance);
        Assert.Equal(3, _lookups.Count(ids => ids.Contains(late)));
    }

    [Fact]
    public async Task Execute_JournalUnreachableForALookUp_UnavailableAndNothingExecuted()
    {
        var (state, evicted) = StateWithEvictedRecord();
        var pipeline = Pipeline(state);
        _journalDown = true;

        await Assert.ThrowsAsync<AccountStorageException>(() => pipeline.ExecuteAsync(new(OperationKind.Withdrawal, evicted.OperationId, 100), Now));
        await Assert.ThrowsAsync<AccountStorageException>(() => pipeline.LookupAsync(evicted.OperationId, Now));

        Assert.Equal(0, _writes);
        Assert.False(pipeline.IsFaulted);
        Assert.Equal(903, pipeline.Committed.Balance);
    }

    [Fact]
    public async Task Execute_JournalFailingPastTheBound_NewOperationsRefusedReplaysAnswered()
    {
        var state = new AccountState { IsOpen = true, Balance = 1000 };
        var pipeline = Pipeline(state);
        var recorded = await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, Guid.CreateVersion7(Now), 10), Now);
        _journalFailure = new JournalUnavailableException("the journal could not be written");

        await Assert.ThrowsAsync<AccountStorageException>(() => pipeline.ExecuteAsync(new(OperationKind.Withdrawal, Guid.CreateVersion7(Now.AddMilliseconds(1)), 10), Now));
        Assert.Equal(recorded with { IsReplay = true }, await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, recorded.OperationId, 10), Now));
        Assert.Equal(990, pipeline.Committed.Balance);
        Assert.Equal(1, _writes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Execute_JournalRefusingTheSameWayEveryTimePastTheBound_AnErrorNeverRetry(bool rowsRefusedByTheDatabase)
    {
        // A missing grant or migration fails every append alike, and rows the database refuses (a state
        // restored behind its journal) fail every retry: "unavailable, retry" (503) would send every
        // client into endless retries of what an operator must fix.
        var pipeline = Pipeline(new AccountState { IsOpen = true, Balance = 1000 });
        _journalFailure = rowsRefusedByTheDatabase
            ? new JournalUnavailableException("The journal refused the records of account alice: permission denied for table rm_operation_journal", isRefusal: true)
            : new InvalidOperationException("permission denied for table rm_operation_journal");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.ExecuteAsync(new(OperationKind.Withdrawal, Guid.CreateVersion7(Now), 10), Now));

        Assert.Contains("permission denied", refused.Message, StringComparison.Ordinal);
        Assert.Equal((1000L, 0), (pipeline.Committed.Balance, _writes));
    }

    [Fact]
    public async Task Execute_DuplicateRefusedAsTooOldWhileTheFirstWaitedForTheJournal_FirstRefusedTooNothingExecuted()
    {
        // The first call arrives just inside MaxOperationAge and waits for the journal; its duplicate
        // arrives once the ID is too old and is refused. The first must not then execute on the time
        // it arrived with: one ID, two answers (for a credit: a refund and a credit, money twice).
        var (state, _) = StateWithEvictedRecord();
        var pipeline = Pipeline(state);
        var maxAge = new AccountOptions().MaxOperationAge!.Value;
        var id = Guid.CreateVersion7(Now - maxAge + TimeSpan.FromSeconds(1));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _lookupGate = gate;

        var first = pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 50), Now);
        var duplicate = await pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 50), Now.AddSeconds(2));
        gate.SetResult();

        Assert.Equal(OperationStatus.OperationExpired, duplicate.Status);
        Assert.Equal(OperationStatus.OperationExpired, (await first).Status);
        Assert.Equal(0, _writes);
        Assert.Equal(state.Balance, pipeline.Committed.Balance);
    }
}
