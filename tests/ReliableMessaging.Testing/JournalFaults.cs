using System.Collections.Concurrent;

namespace ReliableMessaging.Testing;

/// <summary>
/// Journal faults armed per account ID for <see cref="FaultInjectingJournal"/> (the test cluster's
/// silos run in the test process). Keyed by account so tests in parallel do not disturb each other.
/// </summary>
public static class JournalFaults
{
    private static readonly ConcurrentDictionary<string, JournalAppendGate> AppendGates = new();
    private static readonly ConcurrentDictionary<string, bool> Down = new();
    private static readonly ConcurrentDictionary<string, Exception> Broken = new();
    private static readonly ConcurrentDictionary<string, int> Appended = new();

    /// <summary>Holds every journal append of <paramref name="accountId"/> until the returned gate opens (replacing any earlier gate).</summary>
    public static JournalAppendGate HoldAppends(string accountId)
    {
        var gate = new JournalAppendGate();
        AppendGates[accountId] = gate;
        return gate;
    }

    /// <summary>Every journal call for <paramref name="accountId"/> fails as if the journal were unreachable, until <see cref="Restore"/>.</summary>
    public static void TakeDown(string accountId) => Down[accountId] = true;

    /// <summary>Every journal append for <paramref name="accountId"/> fails with <paramref name="failure"/> (a bug, not an outage), until <see cref="Restore"/>.</summary>
    public static void Break(string accountId, Exception failure) => Broken[accountId] = failure;

    public static void Restore(string accountId)
    {
        Down.TryRemove(accountId, out _);
        Broken.TryRemove(accountId, out _);
    }

    /// <summary>How many records of <paramref name="accountId"/> the journal confirmed (re-sent ones count again).</summary>
    public static int AppendedCount(string accountId) => Appended.GetValueOrDefault(accountId);

    internal static bool IsDown(string accountId) => Down.ContainsKey(accountId);

    internal static Exception? BreakageOf(string accountId) => Broken.GetValueOrDefault(accountId);

    internal static JournalAppendGate? GateFor(string accountId) => AppendGates.GetValueOrDefault(accountId);

    internal static void CountAppended(string accountId, int records) => Appended.AddOrUpdate(accountId, records, (_, n) => n + records);
}
