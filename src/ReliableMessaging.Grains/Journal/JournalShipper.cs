using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Grains.Journal;

/// <summary>
/// Ships one account's committed records to the journal, as plain code over delegates. Each
/// persisted state is handed over with <see cref="Committed"/>; the records the journal has not
/// confirmed (above <see cref="AccountState.JournaledThrough"/> and what was already confirmed) are
/// appended, one append at a time. On success the owner is told how far the journal reaches, so
/// those records may leave the window; on failure the records simply stay in the window and the
/// append is retried after a backoff. Appends are idempotent, so re-sending after a crash or an
/// unanswered append is harmless. Not thread-safe: it relies on the grain's scheduler.
/// </summary>
public sealed class JournalShipper
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private readonly Func<IReadOnlyList<OperationRecord>, Task> _append;
    private readonly Action<long> _onJournaled;
    private readonly Action<TimeSpan> _scheduleRetry;
    private readonly Action<Exception> _onFailure;
    private readonly TimeSpan _maxRetry;
    private readonly TimeProvider _time;
    private readonly List<(long Sequence, TaskCompletionSource Waiter)> _waiters = [];
    private AccountState? _latest;
    private bool _shipping;
    private bool _retryScheduled;
    private TimeSpan _backoff = FirstRetry;
    private long? _appendStarted;

    /// <param name="append">Appends records durably; throws <see cref="JournalUnavailableException"/> when it could not (any other exception is handled the same way).</param>
    /// <param name="onJournaled">Told the newest sequence the journal holds (all before it too).</param>
    /// <param name="scheduleRetry">Calls <see cref="Retry"/> after the given delay.</param>
    /// <param name="onFailure">Told of each failed append (for the log; <see cref="FailuresInARow"/> says which of a run it is).</param>
    /// <param name="maxRetry">The longest backoff between retries.</param>
    /// <param name="time">The clock behind <see cref="AppendPendingFor"/> (the system's by default).</param>
    public JournalShipper(
        Func<IReadOnlyList<OperationRecord>, Task> append,
        Action<long> onJournaled,
        Action<TimeSpan> scheduleRetry,
        Action<Exception> onFailure,
        TimeSpan maxRetry,
        TimeProvider? time = null)
    {
        _append = append;
        _onJournaled = onJournaled;
        _scheduleRetry = scheduleRetry;
        _onFailure = onFailure;
        _maxRetry = maxRetry;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The newest sequence the journal confirmed in this activation (or that the state said it had).</summary>
    public long ConfirmedThrough { get; private set; }

    /// <summary>
    /// Appends failed since the last one that succeeded (1 at the first failure of an outage): an outage
    /// fails every active account's append at each retry, and the log says so once per account, not at each.
    /// </summary>
    public int FailuresInARow { get; private set; }

    /// <summary>True while appends fail and records wait in the window.</summary>
    public bool IsFailing => LastFailure is not null;

    /// <summary>While appends fail, the last failure (an outage is a <see cref="JournalUnavailableException"/>); otherwise null.</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>
    /// How long the append in flight has waited for the journal's answer; zero when none is in flight.
    /// A journal that neither confirms nor fails (a writer queued behind a lock, a hung connection) is
    /// seen here before any failure is.
    /// </summary>
    public TimeSpan AppendPendingFor => _appendStarted is { } started ? _time.GetElapsedTime(started) : TimeSpan.Zero;

    /// <summary>A state was persisted (or activated): ship what the journal does not hold yet.</summary>
    public void Committed(AccountState committed)
    {
        ArgumentNullException.ThrowIfNull(committed);
        _latest = committed;
        ConfirmedThrough = Math.Max(ConfirmedThrough, committed.JournaledThrough);
        if (!_shipping && !_retryScheduled)
        {
            _ = ShipAsync();
        }
    }

    /// <summary>The retry timer fired.</summary>
    public void Retry()
    {
        _retryScheduled = false;
        if (!_shipping)
        {
            _ = ShipAsync();
        }
    }

    /// <summary>
    /// Completes once the journal holds every record through <paramref name="sequence"/>; fails with the
    /// error when shipping fails with one that is not an outage (an unreachable journal, a
    /// <see cref="JournalUnavailableException"/> that is not a refusal, only delays it).
    /// </summary>
    public Task WaitForAsync(long sequence)
    {
        if (sequence <= ConfirmedThrough)
        {
            return Task.CompletedTask;
        }

        if (LastFailure is { } failure and not JournalUnavailableException { IsRefusal: false } && !_shipping)
        {
            // The last attempt failed with an error, not an outage (a gap, rows refused, a bug), and none is
            // in flight: the next retry, if any, is expected to fail the same way.
            return Task.FromException(failure);
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((sequence, waiter));
        return waiter.Task;
    }

    /// <summary>Appends until nothing committed is left unconfirmed; never throws.</summary>
    private async Task ShipAsync()
    {
        _shipping = true;
        try
        {
            while (_latest is { } state && state.LastSequence > ConfirmedThrough)
            {
                // Unconfirmed records never leave the window, so these are all of them, without gaps.
                var records = state.Operations.Where(r => r.Sequence > ConfirmedThrough).OrderBy(r => r.Sequence).ToList();
                if (!IsEachOnceInOrder(records, ConfirmedThrough + 1, state.LastSequence))
                {
                    // A bug lost (or repeated) records: nothing past the gap is appended or confirmed, and it
                    // counts as a failure, so the account's bound stops new operations (an error, never
                    // "retry") instead of letting the window grow unshipped.
                    var gap = new InvalidOperationException(
                        $"Records {ConfirmedThrough + 1} to {state.LastSequence} are neither confirmed by the journal nor each once in the window.");
                    LastFailure = gap;
                    FailuresInARow++;
                    _onFailure(gap);
                    FailWaiters(gap);
                    return;
                }

                _appendStarted = _time.GetTimestamp();
                try
                {
                    await _append(records);
                }
                catch (Exception exception)
                {
                    // An outage (JournalUnavailableException) or a bug in the append: either way the
                    // records stay in the window, the failure is reported, and the append is retried
                    // with backoff. This loop runs unobserved, so nothing may escape it: an escaped
                    // exception would stop shipping for good while the window grew without the bound.
                    LastFailure = exception;
                    FailuresInARow++;
                    _onFailure(exception);
                    if (exception is not JournalUnavailableException { IsRefusal: false })
                    {
                        // Not an outage (a refusal of the rows, a bug): waiting for the retry would not help
                        // whoever waits for the journal.
                        FailWaiters(exception);
                    }

                    _retryScheduled = true;
                    _scheduleRetry(_backoff);
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _maxRetry.Ticks));
                    return;
                }
                finally
                {
                    // Answered, either way: whatever runs next (the owner told, the next append) sees none pending.
                    _appendStarted = null;
                }

                LastFailure = null;
                FailuresInARow = 0;
                _backoff = FirstRetry;
                ConfirmedThrough = Math.Max(ConfirmedThrough, records[^1].Sequence);
                _onJournaled(ConfirmedThrough);
                ReleaseWaiters();
            }
        }
        finally
        {
            _shipping = false;
        }
    }

    /// <summary>True when <paramref name="records"/> are exactly <paramref name="first"/> to <paramref name="last"/>, each once, in order.</summary>
    private static bool IsEachOnceInOrder(List<OperationRecord> records, long first, long last)
    {
        if (records.Count != last - first + 1)
        {
            return false;
        }

        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Sequence != first + i)
            {
                return false;
            }
        }

        return true;
    }

    private void FailWaiters(Exception failure)
    {
        foreach (var (_, waiter) in _waiters)
        {
            waiter.TrySetException(failure);

            // A waiter whose caller gave up (SyncJournal's time limit) is faulted with nobody awaiting it:
            // observed here, so it is not reported as an unobserved task exception.
            _ = waiter.Task.Exception;
        }

        _waiters.Clear();
    }

    private void ReleaseWaiters()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Sequence <= ConfirmedThrough)
            {
                _waiters[i].Waiter.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}
