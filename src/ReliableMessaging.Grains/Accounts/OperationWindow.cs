using ReliableMessaging.Contracts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The hot tier of an account's record of executed operations, kept in <see cref="AccountState.Operations"/>
/// in UUIDv7 order. It is bounded by count, and a record leaves it only once the journal holds it
/// (<see cref="AccountState.JournaledThrough"/>), so every executed operation is in the window, in the
/// journal, or both. Records leave oldest ID first, and every ID that left lies at or below
/// <see cref="AccountState.JournalBoundaryUnixMs"/>: an ID above it that is not in the window was never executed.
/// </summary>
public sealed class OperationWindow
{
    private readonly int _capacity;

    public OperationWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public int Capacity => _capacity;

    /// <summary>The recorded outcome of <paramref name="operationId"/>, if the window holds it.</summary>
    public static OperationRecord? Find(AccountState state, Guid operationId)
    {
        ArgumentNullException.ThrowIfNull(state);
        var index = IndexOf(state.Operations, operationId);
        return index >= 0 ? state.Operations[index] : null;
    }

    /// <summary>True when <paramref name="operationId"/> may have left the window for the journal.</summary>
    public static bool MayBeInJournalOnly(AccountState state, Guid operationId)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Uuid7.GetUnixTimeMilliseconds(operationId) <= state.JournalBoundaryUnixMs;
    }

    /// <summary>
    /// True when every record numbered above <paramref name="sequence"/> is still in the window: a
    /// journal look-up made when <paramref name="sequence"/> was the newest cannot have missed one of them.
    /// </summary>
    public static bool HoldsEverythingAfter(AccountState state, long sequence)
    {
        ArgumentNullException.ThrowIfNull(state);
        var expected = state.LastSequence - sequence;
        var held = 0L;
        foreach (var record in state.Operations)
        {
            if (record.Sequence > sequence)
            {
                held++;
            }
        }

        return held == expected;
    }

    /// <summary>Replaces a recorded outcome (same ID) with an updated one; false when it is no longer in the window.</summary>
    public static bool Replace(AccountState state, OperationRecord record)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(record);
        var index = IndexOf(state.Operations, record.OperationId);
        if (index < 0)
        {
            return false;
        }

        state.Operations[index] = record;
        return true;
    }

    /// <summary>Records an outcome in order, then lets journaled records go beyond the capacity.</summary>
    public void Record(AccountState state, OperationRecord record)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(record);
        var operations = state.Operations;
        var index = IndexOf(operations, record.OperationId);
        if (index >= 0)
        {
            throw new InvalidOperationException($"Operation {record.OperationId} is already recorded.");
        }

        operations.Insert(~index, record);
        Evict(state);
    }

    /// <summary>
    /// The journal holds every record through <paramref name="sequence"/>: they may now leave the
    /// window. Returns false when that was already known.
    /// </summary>
    public bool MarkJournaled(AccountState state, long sequence)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (sequence <= state.JournaledThrough)
        {
            return false;
        }

        if (sequence > state.LastSequence)
        {
            throw new InvalidOperationException($"Sequence {sequence} was never recorded (the newest is {state.LastSequence}).");
        }

        state.JournaledThrough = sequence;
        Evict(state);
        return true;
    }

    /// <summary>Removes journaled records, oldest ID first, while the window is over its capacity.</summary>
    private void Evict(AccountState state)
    {
        var operations = state.Operations;
        var excess = operations.Count - _capacity;
        if (excess <= 0 || state.JournaledThrough == 0)
        {
            return;
        }

        // One compaction pass: records not yet journaled stay, whatever their age.
        var kept = 0;
        var boundary = state.JournalBoundaryUnixMs;
        for (var i = 0; i < operations.Count; i++)
        {
            var record = operations[i];
            if (excess > 0 && record.Sequence <= state.JournaledThrough)
            {
                excess--;
                boundary = Math.Max(boundary, Uuid7.GetUnixTimeMilliseconds(record.OperationId));
                continue;
            }

            operations[kept++] = record;
        }

        operations.RemoveRange(kept, operations.Count - kept);
        state.JournalBoundaryUnixMs = boundary;
    }

    /// <summary>Binary search: the index, or the bitwise complement of the insertion point.</summary>
    private static int IndexOf(List<OperationRecord> operations, Guid operationId)
    {
        int low = 0, high = operations.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var order = Uuid7.Compare(operations[mid].OperationId, operationId);
            if (order == 0)
            {
                return mid;
            }

            if (order < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return ~low;
    }
}
