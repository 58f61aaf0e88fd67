using System.Diagnostics;

namespace ReliableMessaging.Atm.Reporting;

/// <summary>
/// Operations completed (answered, whatever the answer) per interval of the traffic, and the longest
/// time with none completed: what a client sees of a fault, beyond whether the outcomes were right.
/// </summary>
public sealed class ThroughputRecorder(Stopwatch clock, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private readonly List<long> _counts = [];
    private TimeSpan? _start;
    private TimeSpan? _end;
    private TimeSpan _last;
    private TimeSpan _longestStall;
    private TimeSpan _longestStallStart;

    public TimeSpan Interval => interval;

    /// <summary>The traffic starts now: intervals and the first stall count from here.</summary>
    public void Start()
    {
        lock (_gate)
        {
            _start = clock.Elapsed;
            _last = TimeSpan.Zero;
        }
    }

    /// <summary>One operation got its answer now.</summary>
    public void Completed()
    {
        lock (_gate)
        {
            if (_start is not { } start || _end is not null)
            {
                return;
            }

            var at = clock.Elapsed - start;
            var index = (int)(at / interval);
            while (_counts.Count <= index)
            {
                _counts.Add(0);
            }

            _counts[index]++;
            NoteGap(at);
        }
    }

    /// <summary>The traffic has stopped: the time since the last completion counts as a stall too.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_start is not { } start || _end is not null)
            {
                return;
            }

            var at = clock.Elapsed - start;
            _end = at;
            NoteGap(at);
            while (_counts.Count < Math.Ceiling(at / interval))
            {
                _counts.Add(0);
            }
        }
    }

    /// <summary>Completed operations per interval, from the start of the traffic.</summary>
    public IReadOnlyList<long> Counts
    {
        get
        {
            lock (_gate)
            {
                return [.. _counts];
            }
        }
    }

    /// <summary>The longest time without a completed operation, and when (from the start of the traffic) it began.</summary>
    public (TimeSpan Length, TimeSpan From) LongestStall
    {
        get
        {
            lock (_gate)
            {
                return (_longestStall, _longestStallStart);
            }
        }
    }

    private void NoteGap(TimeSpan at)
    {
        if (at - _last > _longestStall)
        {
            _longestStall = at - _last;
            _longestStallStart = _last;
        }

        _last = at;
    }
}
