using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

public sealed class AccountLedgerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly AccountLedger _ledger = new(new AccountOptions
    {
        OperationWindowSize = 4,
        OperationRetention = TimeSpan.FromHours(1),
        MaxClockSkew = TimeSpan.FromMinutes(1),
    });

    private static AccountState OpenAccount(long balance = 0)
    {
        var state = new AccountState();
        AccountLedger.Open(state);
        state.Balance = balance;
        return state;
    }

    private static Guid IdAt(TimeSpan offset) => Guid.CreateVersion7(Now + offset);

    [Fact]
    public void Open_Twice_SecondIsNoOp()
    {
        var state = new AccountState();
        Assert.True(AccountLedger.Open(state));
        Assert.False(AccountLedger.Open(state));
        Assert.Equal(1, state.Version);
    }

    [Fact]
    public void Withdraw_Covered_DebitsAndRecordsOutcome()
    {
        var state = OpenAccount(500);
        var id = IdAt(TimeSpan.Zero);

        var result = _ledger.Process(state, OperationKind.Withdrawal, id, 200, Now);

        Assert.Equal(new OperationResult(id, OperationKind.Withdrawal, 200, OperationStatus.Succeeded, 300, false), result);
        Assert.Equal(300, state.Balance);
        Assert.Single(state.Operations);
    }

    [Fact]
    public void Withdraw_SameOperationIdTwice_DebitsOnceAndReplaysResult()
    {
        var state = OpenAccount(500);
        var id = IdAt(TimeSpan.Zero);
        var first = _ledger.Process(state, OperationKind.Withdrawal, id, 200, Now);
        var version = state.Version;

        Assert.True(_ledger.TryAnswer(state, OperationKind.Withdrawal, id, 200, Now.AddSeconds(5), out var replay));
        var again = _ledger.Process(state, OperationKind.Withdrawal, id, 200, Now.AddSeconds(5));

        Assert.Equal(first with { IsReplay = true }, replay);
        Assert.Equal(replay, again);
        Assert.Equal(300, state.Balance);
        Assert.Equal(version, state.Version);
    }

    [Fact]
    public void Withdraw_InsufficientFunds_RecordedAndStillRefusedAfterDeposit()
    {
        var state = OpenAccount(100);
        var id = IdAt(TimeSpan.Zero);

        var refused = _ledger.Process(state, OperationKind.Withdrawal, id, 150, Now);
        _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.FromMilliseconds(1)), 1000, Now);
        var retry = _ledger.Process(state, OperationKind.Withdrawal, id, 150, Now);

        Assert.Equal(OperationStatus.InsufficientFunds, refused.Status);
        Assert.Equal(100, refused.BalanceAfter);
        Assert.Equal(refused with { IsReplay = true }, retry);
        Assert.Equal(1100, state.Balance);
    }

    [Theory]
    [InlineData(OperationKind.Withdrawal, 201)]
    [InlineData(OperationKind.Deposit, 200)]
    public void SameIdOtherParameters_RefusedAsReusedAndChangesNothing(OperationKind kind, long amount)
    {
        var state = OpenAccount(500);
        var id = IdAt(TimeSpan.Zero);
        _ledger.Process(state, OperationKind.Withdrawal, id, 200, Now);
        var before = (state.Balance, state.Version, state.Operations.Count);

        var result = _ledger.Process(state, kind, id, amount, Now);

        Assert.Equal(OperationStatus.OperationIdReused, result.Status);
        Assert.Null(result.BalanceAfter);
        Assert.Equal(before, (state.Balance, state.Version, state.Operations.Count));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void NonPositiveAmount_RefusedAsInvalidAmount(long amount)
    {
        var state = OpenAccount(500);
        Assert.Equal(OperationStatus.InvalidAmount, _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.Zero), amount, Now).Status);
        Assert.Equal(OperationStatus.InvalidAmount, _ledger.Process(state, OperationKind.Withdrawal, IdAt(TimeSpan.Zero), amount, Now).Status);
        Assert.Equal((500L, 1L), (state.Balance, state.Version));
        Assert.Empty(state.Operations);
    }

    [Fact]
    public void Deposit_OverflowingBalance_RefusedAsInvalidAmount()
    {
        var state = OpenAccount(long.MaxValue - 10);
        var result = _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.Zero), 11, Now);
        Assert.Equal(OperationStatus.InvalidAmount, result.Status);
        Assert.Equal(long.MaxValue - 10, state.Balance);

        Assert.Equal(OperationStatus.Succeeded, _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.Zero), 10, Now).Status);
        Assert.Equal(long.MaxValue, state.Balance);
    }

    [Fact]
    public void NonVersion7OperationId_RefusedAsInvalid()
    {
        var state = OpenAccount(500);
        Assert.Equal(OperationStatus.InvalidOperationId, _ledger.Process(state, OperationKind.Deposit, Guid.NewGuid(), 1, Now).Status);
        Assert.Equal(OperationStatus.InvalidOperationId, _ledger.Process(state, OperationKind.Deposit, Guid.Empty, 1, Now).Status);
        Assert.Empty(state.Operations);
    }

    [Fact]
    public void AccountNeverOpened_RefusedAsNotFoundAndNothingRecorded()
    {
        var state = new AccountState();
        var result = _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.Zero), 1, Now);
        Assert.Equal(OperationStatus.AccountNotFound, result.Status);
        Assert.Equal((false, 0L, 0L), (state.IsOpen, state.Balance, state.Version));
    }

    [Fact]
    public void IdOlderThanRetention_RefusedAsExpired()
    {
        var state = OpenAccount(500);
        var result = _ledger.Process(state, OperationKind.Withdrawal, IdAt(-TimeSpan.FromHours(1)), 1, Now);
        Assert.Equal(OperationStatus.OperationExpired, result.Status);
        Assert.Equal(500, state.Balance);

        Assert.Equal(OperationStatus.Succeeded,
            _ledger.Process(state, OperationKind.Withdrawal, IdAt(-TimeSpan.FromMinutes(59)), 1, Now).Status);
    }

    [Fact]
    public void IdBeyondClockSkew_RefusedAsFromFuture()
    {
        var state = OpenAccount(500);
        Assert.Equal(OperationStatus.OperationIdFromFuture,
            _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.FromMinutes(2)), 1, Now).Status);
        Assert.Equal(OperationStatus.Succeeded,
            _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(50)), 1, Now).Status);
    }

    [Fact]
    public void EvictedId_RetriedLater_RefusedAsExpiredNeverExecutedAgain()
    {
        var state = OpenAccount(1000);
        var ids = Enumerable.Range(0, 6).Select(i => IdAt(TimeSpan.FromSeconds(-60 + i))).ToList();
        foreach (var id in ids)
        {
            _ledger.Process(state, OperationKind.Withdrawal, id, 10, Now);
        }

        Assert.Equal(940, state.Balance);
        Assert.Equal(4, state.Operations.Count);

        // ids[0] and ids[1] were executed and evicted: a retry must not debit again.
        var retry = _ledger.Process(state, OperationKind.Withdrawal, ids[0], 10, Now);
        Assert.Equal(OperationStatus.OperationExpired, retry.Status);
        Assert.Equal(OperationLookupStatus.Expired, _ledger.Lookup(state, ids[1], Now).Status);
        Assert.Equal(940, state.Balance);

        // A never-seen ID older than the newest evicted one cannot be told apart from an evicted one.
        var unseenButOld = Guid.CreateVersion7(Now.AddSeconds(-60).AddMilliseconds(500));
        Assert.Equal(OperationStatus.OperationExpired, _ledger.Process(state, OperationKind.Withdrawal, unseenButOld, 10, Now).Status);

        // The retained ones still replay.
        Assert.True(_ledger.Process(state, OperationKind.Withdrawal, ids[5], 10, Now).IsReplay);
    }

    [Fact]
    public void FullWindow_IdOlderThanEveryRecord_RefusedRatherThanRecordedAndLost()
    {
        var state = OpenAccount(1000);
        for (var i = 0; i < 4; i++)
        {
            _ledger.Process(state, OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(-10 + i)), 1, Now);
        }

        var older = IdAt(TimeSpan.FromSeconds(-30));
        Assert.Equal(OperationStatus.OperationExpired, _ledger.Process(state, OperationKind.Deposit, older, 1, Now).Status);
        Assert.Equal(1004, state.Balance);
    }

    [Fact]
    public void Lookup_ReportsFoundUnknownAndExpired()
    {
        var state = OpenAccount(100);
        var id = IdAt(TimeSpan.Zero);
        var executed = _ledger.Process(state, OperationKind.Withdrawal, id, 40, Now);

        Assert.Equal(new OperationLookupResult(OperationLookupStatus.Found, executed with { IsReplay = true }), _ledger.Lookup(state, id, Now));
        Assert.Equal(OperationLookupStatus.Unknown, _ledger.Lookup(state, IdAt(TimeSpan.FromSeconds(1)), Now).Status);
        Assert.Equal(OperationLookupStatus.Expired, _ledger.Lookup(state, IdAt(-TimeSpan.FromHours(2)), Now).Status);
        Assert.Equal(OperationLookupStatus.InvalidOperationId, _ledger.Lookup(state, Guid.NewGuid(), Now).Status);
        Assert.Equal(OperationLookupStatus.AccountNotFound, _ledger.Lookup(new AccountState(), id, Now).Status);
    }

    [Fact]
    public void Options_Invalid_Rejected()
    {
        Assert.ThrowsAny<Exception>(() => new AccountLedger(new AccountOptions { OperationWindowSize = 0 }));
        Assert.ThrowsAny<Exception>(() => new AccountLedger(new AccountOptions { OperationRetention = TimeSpan.Zero }));
        Assert.ThrowsAny<Exception>(() => new AccountLedger(new AccountOptions { MaxClockSkew = TimeSpan.FromDays(2) }));
    }
}
