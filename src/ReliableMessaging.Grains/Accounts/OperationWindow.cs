using ReliableMessaging.Contracts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The bounded record of executed operations kept in <see cref="AccountState.Operations"/>,
/// bounded by count and by age. Records are kept in UUIDv7 order and evicted oldest first, so
/// every evicted ID lies at or below <see cref="AccountState.EvictedThroughUnixMs"/>: an ID above
/// the admission floor that is not in the window has never been executed.
/// </summary>
public sealed class OperationWindow
{
    private readonly int _capacity;
    private readonly long _retentionMs;

    public OperationWindow(int capacity, TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        _capacity = capacity;
        _retentionMs = (long)retention.TotalMilliseconds;
    }

    public int Capacity => _capacity;

    /// <summary>The recorded outcome of <paramref name="operationId"/>, if the window holds it.</summary>
    public static OperationRecord? Find(AccountState state, Guid operationId)
    {
        var index = IndexOf(state.Operations, operationId);
        return index >= 0 ? state.Operations[index] : null;
    }

    /// <summary>Replaces a recorded outcome (same ID) with an updated one; false when it was evicted.</summary>
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

    /// <summary>
    /// IDs whose timestamp is at or below this (Unix ms) are not admitted: either their record was
    /// evicted, or they are older than the retention and would be evicted at once.
    /// </summary>
    public long AdmissionFloor(AccountState state, DateTimeOffset now) =>
        Math.Max(state.EvictedThroughUnixMs, now.ToUnixTimeMilliseconds() - _retentionMs);

    /// <summary>
    /// True when recording <paramref name="operationId"/> now would evict it again straight away
    /// (a full window whose oldest record is newer), so its outcome could not be replayed.
    /// </summary>
    public bool WouldEvictImmediately(AccountState state, Guid operationId, DateTimeOffset now)
    {
        var operations = state.Operations;
        var expired = CountAgeExpired(operations, now);
        return operations.Count - expired >= _capacity
            && Uuid7.Compare(operationId, operations[expired].OperationId) < 0;
    }

    /// <summary>Records an outcome in order, then evicts by age and by count, raising the floor.</summary>
    public void Record(AccountState state, OperationRecord record, DateTimeOffset now)
    {
        var operations = state.Operations;
        var index = IndexOf(operations, record.OperationId);
        if (index >= 0)
        {
            throw new InvalidOperationException($"Operation {record.OperationId} is already recorded.");
        }

        operations.Insert(~index, record);

        var evict = Math.Max(CountAgeExpired(operations, now), operations.Count - _capacity);
        if (evict > 0)
        {
            var newestEvicted = Uuid7.GetUnixTimeMilliseconds(operations[evict - 1].OperationId);
            state.EvictedThroughUnixMs = Math.Max(state.EvictedThroughUnixMs, newestEvicted);
            operations.RemoveRange(0, evict);
        }
    }

    /// <summary>How many of the oldest records are past the retention.</summary>
    private int CountAgeExpired(List<OperationRecord> operations, DateTimeOffset now)
    {
        var cutoff = now.ToUnixTimeMilliseconds() - _retentionMs;
        int low = 0, high = operations.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (Uuid7.GetUnixTimeMilliseconds(operations[mid].OperationId) <= cutoff)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
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
