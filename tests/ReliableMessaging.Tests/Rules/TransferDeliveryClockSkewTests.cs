using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Faults;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// The chaos run's transfer "from the future", played without a cluster on the real rules and the real
/// delivery: the source's silo clock 2 s ahead, the destination's 2 s behind, <c>MaxClockSkew</c> 10 s,
/// <c>TransferRetryPeriod</c> at its default (1 min), and a transfer ID stamped 9 s ahead by a client on
/// the real clock. The destination can admit the credit 1 s after the start (its clock then reads the
/// ID's timestamp minus the skew); these tests check WHEN it is admitted.
/// </summary>
public sealed class TransferDeliveryClockSkewTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan SourceOffset = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DestinationOffset = TimeSpan.FromSeconds(-2);
    private static readonly TimeSpan AheadBy = TimeSpan.FromSeconds(9);

    private static readonly AccountOptions Options = new()
    {
        MaxClockSkew = TimeSpan.FromSeconds(10),
        TransferRetryPeriod = TimeSpan.FromMinutes(1),
        TransferAlertAge = TimeSpan.FromMinutes(5),
    };

    /// <summary>When the destination's clock reaches the ID's timestamp minus the skew: 9 - 10 + 2 = 1 s after the start.</summary>
    private static readonly DateTimeOffset Admissible = Start + AheadBy - Options.MaxClockSkew - DestinationOffset;

    private readonly ManualClock _real = new(Start);
    private readonly SkewedDeliveryHost _host;
    private readonly TransferDelivery _delivery;

    public TransferDeliveryClockSkewTests()
    {
        var sourceClock = new OffsetTimeProvider(_real, SourceOffset);
        _host = new SkewedDeliveryHost(new AccountRules(Options), _real, sourceClock, sourceBalance: 1_000_000);
        _host.AddDestination("hot-003", DestinationOffset);
        _host.AddDestination("hot-002", TimeSpan.Zero);
        _delivery = new TransferDelivery(_host, Options, sourceClock, new RecordingLogger(), "hot-001");
    }

    private async Task StartTransferAsync(Guid transferId, string to, long amount)
    {
        var debit = await _delivery.StartAsync(transferId, () => _host.Debit(transferId, to, amount));
        Assert.Equal((OperationStatus.Succeeded, false), (debit.Status, debit.IsReplay));
    }

    /// <summary>Fires the retry timer until the transfer is no longer pending; returns when its credit was admitted.</summary>
    private DateTimeOffset DeliverUntilCredited(Guid transferId)
    {
        while (_host.Source.PendingTransfers.Exists(p => p.TransferId == transferId))
        {
            Assert.True(_real.Now < Start.AddMinutes(5), "the credit was never admitted");
            _host.FireTimer(_delivery);
        }

        return Assert.Single(_host.Credits, c => c.TransferId == transferId && c.Status == OperationStatus.Succeeded).At;
    }

    [Fact]
    public void DerivedCreditId_CarriesTheTransferIdsTimestamp_DestinationTwoSecondsBehindAdmitsItOneSecondAfterTheStart()
    {
        var transferId = Guid.CreateVersion7(Start + AheadBy);
        var creditId = TransferDelivery.CreditId(transferId);

        // The credit is a UUIDv8 whose 48-bit timestamp is the transfer ID's: the destination reads the same instant.
        Assert.True(Uuid7.IsDerived(creditId));
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(transferId), Uuid7.GetUnixTimeMilliseconds(creditId));

        _real.Now = Admissible.AddMilliseconds(-1);
        Assert.Equal(OperationStatus.OperationIdFromFuture, _host.Receive("hot-003", creditId, 100).Status);
        _real.Now = Admissible;
        Assert.Equal(OperationStatus.Succeeded, _host.Receive("hot-003", creditId, 100).Status);
        Assert.Equal(Start.AddSeconds(1), Admissible);
    }

    [Fact]
    public void SourceClockBehind_RefusesTheDebitItself_AheadByMoreThanTheSkewOnItsClock()
    {
        // The same ID at a source 2 s behind is 11 s ahead of its clock: refused before any money moves
        // (the chaos summary's "refused as from the future (400)").
        var rules = new AccountRules(Options);
        var source = new AccountState();
        AccountRules.Open(source);
        source.Balance = 1000;
        var transferId = Guid.CreateVersion7(Start + AheadBy);

        var debit = rules.Process(source, new OperationRequest(OperationKind.TransferOut, transferId, 100, "hot-003"), Start - TimeSpan.FromSeconds(2));

        Assert.Equal(OperationStatus.OperationIdFromFuture, debit.Status);
        Assert.Equal(1000, source.Balance);
    }

    [Fact]
    public Task QuietSource_CreditFromTheFuture_AdmittedWithinASecondOfItsAdmissibleTime() => Task.Run(async () =>
    {
        var transferId = Guid.CreateVersion7(Start + AheadBy);
        await StartTransferAsync(transferId, "hot-003", 438);
        Assert.Equal(OperationStatus.OperationIdFromFuture, Assert.Single(_host.Credits).Status);

        var credited = DeliverUntilCredited(transferId);

        Assert.InRange(credited, Admissible, Admissible.AddSeconds(1));
        Assert.Equal(438, _host.Destination("hot-003").Balance);
        Assert.All(_host.Credits.Where(c => c.At < Admissible), c => Assert.Equal(OperationStatus.OperationIdFromFuture, c.Status));
    });

    [Fact]
    public Task HotSource_OtherTransfersDeliveredMeanwhile_CreditFromTheFutureStillAdmittedWithinASecondOfItsAdmissibleTime() => Task.Run(async () =>
    {
        // The chaos run: hot-001 keeps starting transfers (each starts a delivery pass over its
        // outbox) while the credit from the future is refused; then its traffic stops.
        var transferId = Guid.CreateVersion7(Start + AheadBy);
        await StartTransferAsync(transferId, "hot-003", 438);
        for (var i = 1; i <= 9; i++)
        {
            _real.Now = Start.AddMilliseconds(100 * i);
            await StartTransferAsync(Guid.CreateVersion7(_real.Now), "hot-002", 10);
        }

        // The passes the other transfers start send the refused credit only when its own backoff has
        // run out (at 0, 200, 400 and 800 ms), not once per pass.
        Assert.Equal(4, _host.Credits.Count(c => c.TransferId == transferId));
        Assert.Equal(90, _host.Destination("hot-002").Balance);
        Assert.Equal([transferId], _host.Source.PendingTransfers.Select(p => p.TransferId));

        var credited = DeliverUntilCredited(transferId);

        Assert.True(credited <= Admissible.AddSeconds(1),
            $"admissible {(Admissible - Start).TotalSeconds:0.###} s after the start, credited only after {(credited - Start).TotalSeconds:0.###} s; "
            + $"retry timers: {string.Join(", ", _host.Timers.Select(t => $"{t.TotalSeconds:0.###} s"))}");
        Assert.Equal(438, _host.Destination("hot-003").Balance);
    });

    [Fact]
    public Task DestinationUnreachableForMinutes_ThenANewCreditFromTheFuture_RetriedByItsOwnAgeNotTheOldOnes() => Task.Run(async () =>
    {
        // A transfer pending for two minutes (its destination kept failing) must not make a new one wait as long.
        _host.AddDestination("paused", TimeSpan.Zero);
        _host.Unreachable.Add("paused");
        var old = Guid.CreateVersion7(Start);
        await StartTransferAsync(old, "paused", 5);
        while (_real.Now < Start.AddMinutes(2))
        {
            _host.FireTimer(_delivery);
        }

        var transferId = Guid.CreateVersion7(_real.Now + AheadBy);
        var admissible = _real.Now + AheadBy - Options.MaxClockSkew - DestinationOffset;
        await StartTransferAsync(transferId, "hot-003", 438);

        var credited = DeliverUntilCredited(transferId);

        Assert.InRange(credited, admissible, admissible.AddSeconds(1));
        Assert.Contains(_host.Source.PendingTransfers, p => p.TransferId == old);
    });
}
