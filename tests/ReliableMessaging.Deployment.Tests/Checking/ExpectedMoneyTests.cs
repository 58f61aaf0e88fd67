using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;

namespace ReliableMessaging.Deployment.Tests.Checking;

/// <summary>
/// The chaos reconciliation's money check as plain arithmetic: money of transfers still pending is in
/// flight, neither in a balance nor missing; anything else that does not add up is still reported.
/// </summary>
public sealed class ExpectedMoneyTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly OperationRequest[] Deposits =
    [
        new("hot-001", Guid.CreateVersion7(At), OperationKind.Deposit, 10_000),
        new("hot-002", Guid.CreateVersion7(At), OperationKind.Deposit, 10_000),
        new("hot-003", Guid.CreateVersion7(At), OperationKind.Deposit, 10_000),
    ];

    /// <summary>Like the chaos run that reported 876 missing: two transfers from hot-001 to hot-003 still pending (876 in all), one completed, one refunded.</summary>
    private static readonly TransferEntry[] Transfers =
    [
        Transfer("hot-001", "hot-003", 438, TransferStatus.Pending),
        Transfer("hot-001", "hot-003", 438, TransferStatus.Pending),
        Transfer("hot-002", "hot-001", 100, TransferStatus.Completed),
        Transfer("hot-001", "hot-002", 50, TransferStatus.Refunded),
    ];

    /// <summary>What the accounts hold: hot-001 debited for both pending transfers, hot-003 not yet credited.</summary>
    private static Dictionary<string, long?> Read(long hot003 = 10_000) => new()
    {
        ["hot-001"] = 10_000 - 438 - 438 + 100 - 50 + 50,
        ["hot-002"] = 10_000 - 100,
        ["hot-003"] = hot003,
    };

    private static TransferEntry Transfer(string from, string to, long amount, TransferStatus status)
    {
        var id = Guid.CreateVersion7(At);
        return new TransferEntry(new TransferRequest(id, from, to, amount))
        {
            Lookup = new TransferLookup(LookupKind.Found, new TransferInfo(id, from, to, amount, status, At, null), null, status.ToString()),
        };
    }

    [Fact]
    public void Check_TwoTransfersStillPending_TheirMoneyIsInFlightNotMissing()
    {
        var expected = ExpectedMoney.From(Deposits, Transfers);

        Assert.Equal((876L, 2), (expected.InFlight, expected.InFlightTransfers));
        Assert.Equal(30_000, expected.Net);
        Assert.Empty(expected.Check(Read()));
    }

    [Fact]
    public void Check_MoneyLostBesideTheTransfersInFlight_StillReportedAsVanished()
    {
        var violations = ExpectedMoney.From(Deposits, Transfers).Check(Read(hot003: 9_999));

        Assert.Equal(["balance-mismatch", "money-not-conserved"], violations.Select(v => v.Kind));
        Assert.Equal("hot-003", violations[0].AccountId);
        Assert.Contains("2 transfer(s) still in flight hold 876", violations[1].Detail, StringComparison.Ordinal);
        Assert.Contains("money vanished", violations[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_DestinationHoldsMoreThanItsCompletedCredits_ReportedAsAppearedNotAbsorbedByTheMoneyInFlight()
    {
        // The money in flight only stands for the sources' debits: a destination holding more (a credit
        // applied twice, or applied while its source still says pending) is reported.
        var violations = ExpectedMoney.From(Deposits, Transfers).Check(Read(hot003: 10_000 + 438));

        Assert.Equal(["balance-mismatch", "money-not-conserved"], violations.Select(v => v.Kind));
        Assert.Contains("money appeared", violations[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BalanceUnreadable_ReportedAndTotalNotJudged()
    {
        var read = Read();
        read["hot-002"] = null;

        Assert.Equal(["balance-unreadable"], ExpectedMoney.From(Deposits, Transfers).Check(read).Select(v => v.Kind));
    }
}
