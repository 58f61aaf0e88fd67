using Microsoft.Extensions.Time.Testing;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Tests.Journal;

/// <summary>Journal shipping without a cluster: every append is a task the test completes or fails, every retry timer is the test's.</summary>
public sealed class JournalShipperTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly List<(IReadOnlyList<OperationRecord> Records, TaskCompletionSource Done)> _appends = [];
    private readonly List<long> _journaled = [];
    private readonly List<TimeSpan> _retries = [];
    private readonly List<Exception> _failures = [];
    private readonly FakeTimeProvider _time = new(Now);
    private readonly JournalShipper _shipper;

    public JournalShipperTests()
    {
        _shipper = new JournalShipper(
            records =>
            {
                var done = new TaskCompletionSource();
                _appends.Add((records, done));
                return done.Task;
            },
            _journaled.Add,
            _retries.Add,
            _failures.Add,
            TimeSpan.FromSeconds(1),
            _time);
    }

    private static AccountState StateWith(int records, long journaledThrough = 0)
    {
        var state = new AccountState { IsOpen = true, JournaledThrough = journaledThrough };
        for (var i = 1; i <= records; i++)
        {
            state.Operations.Add(new OperationRecord(Guid.CreateVersion7(Now.AddSeconds(i)), OperationKind.Deposit, 1, OperationStatus.Succeeded, i) { Sequence = i });
        }

        state.LastSequence = records;
        return state;
    }

    [Fact]
    public void Committed_AppendsUnconfirmedRecordsInOrder_ThenReportsHowFarTheJournalReaches()
    {
        _shipper.Committed(StateWith(3, journaledThrough: 1));

        var append = Assert.Single(_appends);
        Assert.Equal([2L, 3], append.Records.Select(r => r.Sequence));
        Assert.Empty(_journaled);

        append.Done.SetResult();
        Assert.Equal([3L], _journaled);
        Assert.Equal(3, _shipper.ConfirmedThrough);
    }

    [Fact]
    public void FailuresInARow_CountsEachFailedRetryOfAnOutage_ZeroOnceAnAppendSucceeds()
    {
        // What the account's log goes by: the first failure of an outage with its exception, the rest quietly.
        var failures = new List<int>();
        _shipper.Committed(StateWith(2));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            _appends[^1].Done.SetException(new JournalUnavailableException("down"));
            failures.Add(_shipper.FailuresInARow);
            _shipper.Retry();
        }

        Assert.Equal([1, 2, 3], failures);
        Assert.Equal(3, _failures.Count);
        _appends[^1].Done.SetResult();
        Assert.Equal(0, _shipper.FailuresInARow);
        Assert.Equal(2, _shipper.ConfirmedThrough);

        _shipper.Committed(StateWith(3));
        _appends[^1].Done.SetException(new JournalUnavailableException("down again"));
        Assert.Equal(1, _shipper.FailuresInARow);
    }

    [Fact]
    public void AppendPendingFor_GrowsWhileTheJournalNeitherConfirmsNorFails_ZeroOnceItAnswers()
    {
        // What the account's bound on unjournaled records sees of a journal that hangs before it fails.
        Assert.Equal(TimeSpan.Zero, _shipper.AppendPendingFor);
        _shipper.Committed(StateWith(2));
        _time.Advance(TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), _shipper.AppendPendingFor);
        Assert.False(_shipper.IsFailing);

        _appends[0].Done.SetResult();
        Assert.Equal(TimeSpan.Zero, _shipper.AppendPendingFor);

        // The next append's wait starts from its own start, not the first one's; a failed one leaves none pending.
        _shipper.Committed(StateWith(3));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(2), _shipper.AppendPendingFor);
        _appends[1].Done.SetException(new JournalUnavailableException("down"));
        Assert.Equal(TimeSpan.Zero, _shipper.AppendPendingFor);
        Assert.True(_shipper.IsFailing);
    }

    [Fact]
    public void CommitsDuringAnAppend_ShippedTogetherByTheNextOne_WithoutGapsOrRepeats()
    {
        _shipper.Committed(StateWith(2));
        _shipper.Committed(StateWith(4));
        _shipper.Committed(StateWith(5));
        Assert.Single(_appends);

        _appends[0].Done.SetResult();

        Assert.Equal(2, _appends.Count);
        Assert.Equal([3L, 4, 5], _appends[1].Records.Select(r => r.Sequence));
        _appends[1].Done.SetResult();
        Assert.Equal([2L, 5], _journaled);
    }

    [Fact]
    public void AppendThrowsABug_NotLost_RecordsWaitReportedAndRetriedLikeAnOutage()
    {
        // The shipping loop runs unobserved: an exception escaping it would stop shipping for good.
        _shipper.Committed(StateWith(2));
        var bug = new InvalidOperationException("a bug in the append");
        _appends[0].Done.SetException(bug);

        Assert.True(_shipper.IsFailing);
        Assert.Same(bug, Assert.Single(_failures));
        Assert.Single(_retries);
        Assert.Empty(_journaled);

        _shipper.Retry();
        Assert.Equal([1L, 2], _appends[1].Records.Select(r => r.Sequence));
        _appends[1].Done.SetResult();
        Assert.False(_shipper.IsFailing);
        Assert.Equal([2L], _journaled);
    }

    [Fact]
    public void AppendFails_RecordsWait_RetriedWithBackoffUntilTheJournalIsBack()
    {
        var state = StateWith(2);
        _shipper.Committed(state);
        _appends[0].Done.SetException(new JournalUnavailableException("down"));

        Assert.True(_shipper.IsFailing);
        Assert.Equal([TimeSpan.FromMilliseconds(100)], _retries);
        Assert.Empty(_journaled);

        // Commits while a retry is scheduled wait for it (no storm of appends against a dead journal).
        _shipper.Committed(StateWith(3));
        Assert.Single(_appends);

        _shipper.Retry();
        _appends[1].Done.SetException(new JournalUnavailableException("still down"));
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], _retries);

        _shipper.Retry();
        Assert.Equal([1L, 2, 3], _appends[2].Records.Select(r => r.Sequence));
        _appends[2].Done.SetResult();

        Assert.False(_shipper.IsFailing);
        Assert.Equal([3L], _journaled);
        Assert.Equal(2, _failures.Count);
    }

    [Fact]
    public async Task WaitFor_CompletesOnlyOnceTheJournalConfirmed()
    {
        var wait = _shipper.WaitForAsync(2);
        _shipper.Committed(StateWith(2));
        Assert.False(wait.IsCompleted);

        _appends[0].Done.SetResult();

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(_shipper.WaitForAsync(1).IsCompleted);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void RecordMissingFromTheWindow_NothingAppendedOrConfirmed_CountsAsFailing(long missing)
    {
        // Cannot happen (unconfirmed records never leave the window); if a bug made it happen, shipping
        // past the gap would confirm a journal with a hole, and stopping silently would let the window grow.
        var state = StateWith(4);
        state.Operations.RemoveAll(r => r.Sequence == missing);

        _shipper.Committed(state);

        Assert.Empty(_appends);
        Assert.Empty(_journaled);
        Assert.True(_shipper.IsFailing);
        Assert.IsType<InvalidOperationException>(Assert.Single(_failures));
        Assert.Same(_failures[0], _shipper.LastFailure);
    }

    [Fact]
    public async Task RecordRepeatedWhereAnotherIsMissing_NothingAppended_WaitersGetTheError()
    {
        // 1, 2, 2, 4: the first, the last and the count all look right; 3 is missing.
        var state = StateWith(4);
        state.Operations[2] = state.Operations[1];
        var waiting = _shipper.WaitForAsync(4);

        _shipper.Committed(state);

        Assert.Empty(_appends);
        Assert.True(_shipper.IsFailing);
        Assert.Same(_shipper.LastFailure, await Assert.ThrowsAsync<InvalidOperationException>(() => waiting));
        // A later wait fails at once: nothing will ship past the gap.
        Assert.Same(_shipper.LastFailure, await Assert.ThrowsAsync<InvalidOperationException>(() => _shipper.WaitForAsync(4)));
    }

    [Fact]
    public async Task AppendFailsWithAnError_WaitersGetIt_AnOutageOnlyDelaysThem()
    {
        _shipper.Committed(StateWith(2));
        var waiting = _shipper.WaitForAsync(2);

        _appends[0].Done.SetException(new JournalUnavailableException("down"));
        Assert.False(waiting.IsCompleted);

        _shipper.Retry();
        var bug = new InvalidCastException("a column the journal does not have");
        _appends[1].Done.SetException(bug);
        Assert.Same(bug, await Assert.ThrowsAsync<InvalidCastException>(() => waiting));

        // Still retried: records stay in the window and ship once the append works.
        _shipper.Retry();
        _appends[2].Done.SetResult();
        Assert.Equal(2, _shipper.ConfirmedThrough);
        Assert.True(_shipper.WaitForAsync(2).IsCompleted);
    }

    [Fact]
    public async Task AppendRefusedByTheDatabase_WaitersGetTheRefusal_RetriedLikeAnOutage()
    {
        _shipper.Committed(StateWith(1));
        var waiting = _shipper.WaitForAsync(1);
        var refusal = new JournalUnavailableException("The journal refused the records of account alice", isRefusal: true);

        _appends[0].Done.SetException(refusal);

        Assert.Same(refusal, await Assert.ThrowsAsync<JournalUnavailableException>(() => waiting));
        Assert.Single(_retries);

        // Until an attempt succeeds, a new wait fails at once rather than run into its caller's time limit.
        Assert.Same(refusal, await Assert.ThrowsAsync<JournalUnavailableException>(() => _shipper.WaitForAsync(1)));
        _shipper.Retry();
        _appends[1].Done.SetResult();
        Assert.True(_shipper.WaitForAsync(1).IsCompleted);
    }

    [Fact]
    public void NothingUnconfirmed_NoAppend()
    {
        _shipper.Committed(StateWith(3, journaledThrough: 3));
        Assert.Empty(_appends);
    }
}
