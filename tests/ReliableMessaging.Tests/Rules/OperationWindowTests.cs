using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

public sealed class OperationWindowTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Records as the rules makes them: numbered in order of execution.</summary>
    private static OperationRecord RecordAt(AccountState state, DateTimeOffset at) =>
        new(Guid.CreateVersion7(at), OperationKind.Deposit, 1, OperationStatus.Succeeded, 1) { Sequence = ++state.LastSequence };

    [Fact]
    public void Record_OutOfOrderIds_KeepsUuid7Order()
    {
        var window = new OperationWindow(10);
        var state = new AccountState();
        var records = Enumerable.Range(0, 8).Select(i => RecordAt(state, Now.AddSeconds(-i * 7 % 5))).ToList();
        foreach (var record in records)
        {
            window.Record(state, record);
        }

        var ordered = state.Operations.Select(r => r.OperationId).ToList();
        Assert.Equal(ordered.Order(Comparer<Guid>.Create(Uuid7.Compare)), ordered);
        Assert.All(records, r => Assert.Same(r, OperationWindow.Find(state, r.OperationId)));
    }

    [Fact]
    public void MarkJournaled_OverCapacity_EvictsOldestJournaledAndRaisesBoundaryToIt()
    {
        var window = new OperationWindow(3);
        var state = new AccountState();
        var records = Enumerable.Range(0, 5).Select(i => RecordAt(state, Now.AddMinutes(-10 + i))).ToList();
        foreach (var record in records)
        {
            window.Record(state, record);
        }

        Assert.Equal(5, state.Operations.Count);
        Assert.True(window.MarkJournaled(state, 5));
        Assert.False(window.MarkJournaled(state, 4));

        Assert.Equal(records.Skip(2).Select(r => r.OperationId), state.Operations.Select(r => r.OperationId));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(records[1].OperationId), state.JournalBoundaryUnixMs);
        Assert.Null(OperationWindow.Find(state, records[0].OperationId));
        Assert.True(OperationWindow.MayBeInJournalOnly(state, records[0].OperationId));
        Assert.False(OperationWindow.MayBeInJournalOnly(state, records[2].OperationId));
    }

    [Fact]
    public void Evict_OldestIdNotJournaled_StaysAndANewerJournaledOneLeaves()
    {
        var window = new OperationWindow(2);
        var state = new AccountState();
        var newer = RecordAt(state, Now);
        var newest = RecordAt(state, Now.AddSeconds(1));
        var oldestButLast = RecordAt(state, Now.AddSeconds(-30));
        window.Record(state, newer);
        window.Record(state, newest);
        window.Record(state, oldestButLast);

        window.MarkJournaled(state, 2);

        Assert.Equal([oldestButLast.OperationId, newest.OperationId], state.Operations.Select(r => r.OperationId));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(newer.OperationId), state.JournalBoundaryUnixMs);
    }

    [Fact]
    public void HoldsEverythingAfter_FalseOnceARecordAfterItLeft()
    {
        var window = new OperationWindow(1);
        var state = new AccountState();
        window.Record(state, RecordAt(state, Now));
        Assert.True(OperationWindow.HoldsEverythingAfter(state, 0));

        window.Record(state, RecordAt(state, Now.AddSeconds(1)));
        window.MarkJournaled(state, 2);

        Assert.False(OperationWindow.HoldsEverythingAfter(state, 0));
        Assert.True(OperationWindow.HoldsEverythingAfter(state, 1));
    }

    [Fact]
    public void MarkJournaled_BeyondLastSequence_Throws()
    {
        var window = new OperationWindow(10);
        var state = new AccountState();
        window.Record(state, RecordAt(state, Now));
        Assert.Throws<InvalidOperationException>(() => window.MarkJournaled(state, 2));
    }

    [Fact]
    public void Record_SameIdTwice_Throws()
    {
        var window = new OperationWindow(10);
        var state = new AccountState();
        var record = RecordAt(state, Now);
        window.Record(state, record);
        Assert.Throws<InvalidOperationException>(() => window.Record(state, record));
    }
}
