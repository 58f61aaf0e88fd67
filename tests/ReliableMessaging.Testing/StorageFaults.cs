using System.Collections.Concurrent;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Testing;

/// <summary>
/// Faults armed per account ID for <see cref="FaultInjectingGrainStorage"/>. The test cluster's silos
/// run in the test process, so tests arm faults here directly. Keyed by account so tests in
/// parallel do not disturb each other.
/// </summary>
public static class StorageFaults
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<StorageFault>> Faults = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();
    private static readonly ConcurrentDictionary<string, int> Writes = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Arrivals = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<Exception?>> Ends = new();
    private static readonly ConcurrentDictionary<string, Action<AccountState>> ReadChanges = new();

    /// <summary>
    /// Every later load of <paramref name="accountId"/>'s state passes through <paramref name="change"/>
    /// (e.g. the fields a version without a journal left in it).
    /// </summary>
    public static void ChangeOnRead(string accountId, Action<AccountState> change) => ReadChanges[accountId] = change;

    internal static void ApplyOnRead(string accountId, AccountState state)
    {
        if (ReadChanges.TryGetValue(accountId, out var change))
        {
            change(state);
        }
    }

    /// <summary>The next write of <paramref name="accountId"/> suffers <paramref name="fault"/>.</summary>
    public static void Arm(string accountId, StorageFault fault) =>
        Faults.GetOrAdd(accountId, _ => new()).Enqueue(fault);

    /// <summary>
    /// Holds every write of <paramref name="accountId"/> until the returned gate is completed,
    /// so a test can act while a write is in flight.
    /// </summary>
    public static TaskCompletionSource HoldWrites(string accountId)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Gates[accountId] = gate;
        return gate;
    }

    /// <summary>Completes when the next write of <paramref name="accountId"/> reaches the storage (before any gate).</summary>
    public static Task NextWriteArrives(string accountId) =>
        Arrivals.GetOrAdd(accountId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>
    /// Completes when the next write of <paramref name="accountId"/> that reaches the database ends, with the
    /// database's error if it failed (null if it succeeded). Injected failures do not count: they never reach it.
    /// </summary>
    public static Task<Exception?> NextWriteEnds(string accountId) =>
        Ends.GetOrAdd(accountId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>How many writes of <paramref name="accountId"/> reached the database.</summary>
    public static int WriteCount(string accountId) => Writes.GetValueOrDefault(accountId);

    internal static bool TryTake(string accountId, out StorageFault fault)
    {
        fault = default;
        return Faults.TryGetValue(accountId, out var queue) && queue.TryDequeue(out fault);
    }

    internal static void SignalArrival(string accountId)
    {
        if (Arrivals.TryRemove(accountId, out var arrival))
        {
            arrival.TrySetResult();
        }
    }

    internal static void SignalEnd(string accountId, Exception? failure)
    {
        if (Ends.TryRemove(accountId, out var end))
        {
            end.TrySetResult(failure);
        }
    }

    internal static Task WaitForGate(string accountId) =>
        Gates.TryGetValue(accountId, out var gate) ? gate.Task : Task.CompletedTask;

    internal static void CountWrite(string accountId) => Writes.AddOrUpdate(accountId, 1, (_, n) => n + 1);
}
