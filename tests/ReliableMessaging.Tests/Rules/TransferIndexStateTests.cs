using ReliableMessaging.Grains.Transfers;

namespace ReliableMessaging.Tests.Rules;

/// <summary>How long a received transfer the source does not know yet is "not confirmed" rather than "never accepted".</summary>
public sealed class TransferIndexStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, true)]
    [InlineData(59_999, true)]
    [InlineData(60_000, true)]
    [InlineData(60_001, false)]
    public void MayStillCommit_ForTwoResponseTimeoutsAfterTheLastStart(int elapsedMs, bool expected)
    {
        // A start sent up to one response timeout after LastStartUnixMs, in transit for up to another.
        var index = new TransferIndexState { Source = "alice", Destination = "bob", Amount = 1, LastStartUnixMs = Now.ToUnixTimeMilliseconds() };

        Assert.Equal(expected, index.MayStillCommit(Now.AddMilliseconds(elapsedMs), ResponseTimeout, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(60_000, true)]
    [InlineData(60_000 + 120_000, true)]
    [InlineData(60_000 + 300_000, true)]
    [InlineData(60_000 + 300_001, false)]
    public void MayStillCommit_AnsweredOnASiloWhoseClockIsAhead_TheSkewIsNotTakenForElapsedTime(int elapsedMs, bool expected)
    {
        // The start was stamped by one silo's clock; the look-up may run on a silo up to the skew ahead
        // of it, right after the first silo died with the start in transit.
        var index = new TransferIndexState { Source = "alice", Destination = "bob", Amount = 1, LastStartUnixMs = Now.ToUnixTimeMilliseconds() };

        Assert.Equal(expected, index.MayStillCommit(Now.AddMilliseconds(elapsedMs), ResponseTimeout, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void MayStillCommit_RecordFromBeforeStartsWereTimed_False()
    {
        var index = new TransferIndexState { Source = "alice", Destination = "bob", Amount = 1 };

        Assert.False(index.MayStillCommit(Now, ResponseTimeout, TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData(0, 0, true)]
    [InlineData(1_000, 0, true)]
    [InlineData(1_000, 1_000, true)]
    [InlineData(1_000, 61_000, false)]
    public void NeedsFence_UntilAFenceAfterTheLastStart(long lastStart, long fenced, bool expected)
    {
        // A record from before starts were timed (0) is fenced once, like any other.
        var index = new TransferIndexState { Source = "alice", Destination = "bob", Amount = 1, LastStartUnixMs = lastStart, FencedUnixMs = fenced };

        Assert.Equal(expected, index.NeedsFence);
    }
}
