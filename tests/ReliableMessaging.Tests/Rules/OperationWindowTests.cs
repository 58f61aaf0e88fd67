using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

public sealed class OperationWindowTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static OperationRecord RecordAt(DateTimeOffset at) =>
        new(Guid.CreateVersion7(at), OperationKind.Deposit, 1, OperationStatus.Succeeded, 1);

    [Fact]
    public void Record_OutOfOrderIds_KeepsUuid7Order()
    {
        var window = new OperationWindow(10, TimeSpan.FromHours(1));
        var state = new AccountState();
        var records = Enumerable.Range(0, 8).Select(i => RecordAt(Now.AddSeconds(-i * 7 % 5))).ToList();
        foreach (var record in records)
        {
            window.Record(state, record, Now);
        }

        var ordered = state.Operations.Select(r => r.OperationId).ToList();
        Assert.Equal(ordered.Order(Comparer<Guid>.Create(Uuid7.Compare)), ordered);
        Assert.All(records, r => Assert.Same(r, OperationWindow.Find(state, r.OperationId)));
    }

    [Fact]
    public void Record_OverCapacity_EvictsOldestAndRaisesFloorToIt()
    {
        var window = new OperationWindow(3, TimeSpan.FromHours(1));
        var state = new AccountState();
        var records = Enumerable.Range(0, 5).Select(i => RecordAt(Now.AddMinutes(-10 + i))).ToList();
        foreach (var record in records)
        {
            window.Record(state, record, Now);
        }

        Assert.Equal(records.Skip(2).Select(r => r.OperationId), state.Operations.Select(r => r.OperationId));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(records[1].OperationId), state.EvictedThroughUnixMs);
        Assert.Null(OperationWindow.Find(state, records[0].OperationId));
    }

    [Fact]
    public void Record_PastRetention_EvictsByAgeEvenWhenNotFull()
    {
        var window = new OperationWindow(100, TimeSpan.FromMinutes(30));
        var state = new AccountState();
        var old = RecordAt(Now.AddMinutes(-20));
        window.Record(state, old, Now);
        var fresh = RecordAt(Now);
        window.Record(state, fresh, Now.AddMinutes(15));

        Assert.Equal([fresh.OperationId], state.Operations.Select(r => r.OperationId));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(old.OperationId), state.EvictedThroughUnixMs);
    }

    [Fact]
    public void AdmissionFloor_IsNewestEvictedOrNowMinusRetention()
    {
        var window = new OperationWindow(100, TimeSpan.FromMinutes(30));
        var state = new AccountState();
        Assert.Equal(Now.AddMinutes(-30).ToUnixTimeMilliseconds(), window.AdmissionFloor(state, Now));

        state.EvictedThroughUnixMs = Now.AddMinutes(-5).ToUnixTimeMilliseconds();
        Assert.Equal(state.EvictedThroughUnixMs, window.AdmissionFloor(state, Now));
    }

    [Fact]
    public void WouldEvictImmediately_FullWindowAndIdOlderThanAll_True()
    {
        var window = new OperationWindow(2, TimeSpan.FromHours(1));
        var state = new AccountState();
        window.Record(state, RecordAt(Now.AddMinutes(-2)), Now);
        window.Record(state, RecordAt(Now.AddMinutes(-1)), Now);

        Assert.True(window.WouldEvictImmediately(state, Guid.CreateVersion7(Now.AddMinutes(-3)), Now));
        Assert.False(window.WouldEvictImmediately(state, Guid.CreateVersion7(Now), Now));
    }

    [Fact]
    public void Record_SameIdTwice_Throws()
    {
        var window = new OperationWindow(10, TimeSpan.FromHours(1));
        var state = new AccountState();
        var record = RecordAt(Now);
        window.Record(state, record, Now);
        Assert.Throws<InvalidOperationException>(() => window.Record(state, record, Now));
    }
}
