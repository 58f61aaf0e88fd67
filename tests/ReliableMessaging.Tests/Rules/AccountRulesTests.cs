using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Tests.Rules;

public sealed class AccountRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly AccountRules _rules = new(new AccountOptions
    {
        OperationWindowSize = 4,
        MaxOperationAge = TimeSpan.FromHours(2),
        MaxClockSkew = TimeSpan.FromMinutes(1),
    });

    private static AccountState OpenAccount(long balance = 0)
    {
        var state = new AccountState();
        AccountRules.Open(state);
        state.Balance = balance;
        return state;
    }

    private static Guid IdAt(TimeSpan offset) => Guid.CreateVersion7(Now + offset);

    [Fact]
    public void Open_Twice_SecondIsNoOp()
    {
        var state = new AccountState();
        Assert.True(AccountRules.Open(state));
        Assert.False(AccountRules.Open(state));
        Assert.Equal(1, state.Version);
    }

    [Fact]
    public void Withdraw_Covered_DebitsAndRecordsOutcome()
    {
        var state = OpenAccount(500);
        var id = IdAt(TimeSpan.Zero);

        var result = _rules.Process(state, new(OperationKind.Withdrawal, id, 200), Now);

        Assert.Equal(new OperationResult(id, OperationKind.Withdrawal, 200, OperationStatus.Succeeded, 300, false), result);
        Assert.Equal(300, state.Balance);
        Assert.Single(state.Operations);
    }

    [Fact]
    public void Withdraw_SameOperationIdTwice_DebitsOnceAndReplaysResult()
    {
        var state = OpenAccount(500);
        var id = IdAt(TimeSpan.Zero);
        var first = _rules.Process(state, new(OperationKind.Withdrawal, id, 200), Now);
        var version = state.Version;

        var admission = _rules.Admit(state, new(OperationKind.Withdrawal, id, 200), Now.AddSeconds(5));
        var again = _rules.Process(state, new(OperationKind.Withdrawal, id, 200), Now.AddSeconds(5));

        Assert.Equal(AdmissionVerdict.Answered, admission.Verdict);
        Assert.Equal(first with { IsReplay = true }, admission.Answer);
        Assert.Equal(admission.Answer, again);
        Assert.Equal(300, state.Balance);
        Assert.Equal(version, state.Version);
    }

    [Fact]
    public void Withdraw_InsufficientFunds_RecordedAndStillRefusedAfterDeposit()
    {
        var state = OpenAccount(100);
        var id = IdAt(TimeSpan.Zero);

        var refused = _rules.Process(state, new(OperationKind.Withdrawal, id, 150), Now);
        _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromMilliseconds(1)), 1000), Now);
        var retry = _rules.Process(state, new(OperationKind.Withdrawal, id, 150), Now);

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
        _rules.Process(state, new(OperationKind.Withdrawal, id, 200), Now);
        var before = (state.Balance, state.Version, state.Operations.Count);

        var result = _rules.Process(state, new(kind, id, amount), Now);

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
        Assert.Equal(OperationStatus.InvalidAmount, _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.Zero), amount), Now).Status);
        Assert.Equal(OperationStatus.InvalidAmount, _rules.Process(state, new(OperationKind.Withdrawal, IdAt(TimeSpan.Zero), amount), Now).Status);
        Assert.Equal((500L, 1L), (state.Balance, state.Version));
        Assert.Empty(state.Operations);
    }

    [Fact]
    public void Deposit_OverflowingBalance_RefusedAsInvalidAmount()
    {
        var state = OpenAccount(long.MaxValue - 10);
        var result = _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.Zero), 11), Now);
        Assert.Equal(OperationStatus.InvalidAmount, result.Status);
        Assert.Equal(long.MaxValue - 10, state.Balance);

        Assert.Equal(OperationStatus.Succeeded, _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.Zero), 10), Now).Status);
        Assert.Equal(long.MaxValue, state.Balance);
    }

    [Fact]
    public void NonVersion7OperationId_RefusedAsInvalid()
    {
        var state = OpenAccount(500);
        Assert.Equal(OperationStatus.InvalidOperationId, _rules.Process(state, new(OperationKind.Deposit, Guid.NewGuid(), 1), Now).Status);
        Assert.Equal(OperationStatus.InvalidOperationId, _rules.Process(state, new(OperationKind.Deposit, Guid.Empty, 1), Now).Status);
        Assert.Empty(state.Operations);
    }

    [Fact]
    public void AccountNeverOpened_RefusedAsNotFoundAndNothingRecorded()
    {
        var state = new AccountState();
        var result = _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.Zero), 1), Now);
        Assert.Equal(OperationStatus.AccountNotFound, result.Status);
        Assert.Equal((false, 0L, 0L), (state.IsOpen, state.Balance, state.Version));
    }

    [Fact]
    public void IdOlderThanMaxOperationAge_NewOneRefusedAsStale()
    {
        var state = OpenAccount(500);
        var result = _rules.Process(state, new(OperationKind.Withdrawal, IdAt(-TimeSpan.FromHours(2).Add(TimeSpan.FromMilliseconds(1))), 1), Now);
        Assert.Equal(OperationStatus.OperationExpired, result.Status);
        Assert.Equal(500, state.Balance);

        Assert.Equal(OperationStatus.Succeeded,
            _rules.Process(state, new(OperationKind.Withdrawal, IdAt(-TimeSpan.FromMinutes(119)), 1), Now).Status);
    }

    [Fact]
    public void Credit_OlderThanMaxOperationAge_AdmittedWithinTheRetention_ButNotPastIt()
    {
        // A credit is the tail of a transfer its source admitted: MaxOperationAge (for clients'
        // requests) never refuses it. Only past the retention, where "not found" proves nothing, is it expired.
        var rules = new AccountRules(new AccountOptions { JournalRetention = TimeSpan.FromDays(1), MaxOperationAge = TimeSpan.FromHours(2) });
        var state = OpenAccount(500);
        var late = TransferDelivery.CreditId(IdAt(-TimeSpan.FromHours(20)));
        var pastRetention = TransferDelivery.CreditId(IdAt(-TimeSpan.FromHours(25)));

        var credited = rules.Process(state, new(OperationKind.TransferIn, late, 40, "payer"), Now);
        var expired = rules.Process(state, new(OperationKind.TransferIn, pastRetention, 40, "payer"), Now);

        Assert.Equal((OperationStatus.Succeeded, 540L), (credited.Status, state.Balance));
        Assert.Equal(OperationStatus.OperationExpired, expired.Status);
        Assert.Equal(OperationStatus.OperationExpired,
            rules.Process(state, new(OperationKind.Deposit, IdAt(-TimeSpan.FromHours(3)), 40), Now).Status);
    }

    [Fact]
    public void IdBeyondClockSkew_RefusedAsFromFuture()
    {
        var state = OpenAccount(500);
        var (version, records) = (state.Version, state.Operations.Count);
        Assert.Equal(OperationStatus.OperationIdFromFuture,
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromMinutes(2)), 1), Now).Status);
        Assert.Equal((500L, version, records), (state.Balance, state.Version, state.Operations.Count));
        Assert.Equal(OperationStatus.Succeeded,
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(50)), 1), Now).Status);
    }

    [Fact]
    public void Window_OverCapacity_KeepsRecordsUntilJournaled()
    {
        var state = OpenAccount(1000);
        for (var i = 0; i < 6; i++)
        {
            _rules.Process(state, new(OperationKind.Withdrawal, IdAt(TimeSpan.FromSeconds(-60 + i)), 10), Now);
        }

        // Nothing confirmed by the journal: nothing may leave the window, whatever its capacity.
        Assert.Equal(6, state.Operations.Count);
        Assert.Equal(0, state.JournalBoundaryUnixMs);

        Assert.True(_rules.MarkJournaled(state, 3));
        Assert.Equal(4, state.Operations.Count);
        Assert.Equal([3L, 4, 5, 6], state.Operations.Select(r => r.Sequence));
        Assert.Equal(Now.AddSeconds(-59).ToUnixTimeMilliseconds(), state.JournalBoundaryUnixMs);
    }

    [Fact]
    public void EvictedId_Retried_AnsweredFromJournalNeverExecutedAgain()
    {
        var state = OpenAccount(1000);
        var journal = new List<OperationRecord>();
        var ids = Enumerable.Range(0, 6).Select(i => IdAt(TimeSpan.FromSeconds(-60 + i))).ToList();
        var first = _rules.Process(state, new(OperationKind.Withdrawal, ids[0], 10), Now);
        foreach (var id in ids.Skip(1))
        {
            _rules.Process(state, new(OperationKind.Withdrawal, id, 10), Now);
        }

        Ship(state, journal);
        Assert.Null(OperationWindow.Find(state, ids[0]));

        // The window alone cannot tell: the journal must be asked first.
        Assert.Equal(AdmissionVerdict.LookUpJournal, _rules.Admit(state, new(OperationKind.Withdrawal, ids[0], 10), Now).Verdict);
        Assert.Throws<InvalidOperationException>(() => _rules.Process(state, new(OperationKind.Withdrawal, ids[0], 10), Now));

        var lookup = Find(state, journal, ids[0]);
        var retry = _rules.Process(state, new(OperationKind.Withdrawal, ids[0], 10), Now, lookup);
        var reused = _rules.Process(state, new(OperationKind.Withdrawal, ids[0], 11), Now, lookup);
        Assert.Equal(first with { IsReplay = true }, retry);
        Assert.Equal(OperationStatus.OperationIdReused, reused.Status);
        Assert.Equal(940, state.Balance);
        Assert.True(_rules.TryLookup(state, ids[1], Now, Find(state, journal, ids[1]), out var found));
        Assert.Equal(OperationLookupStatus.Found, found.Status);
    }

    [Fact]
    public void IdBelowJournalBoundary_NotInJournal_ExecutesOnceAndReplays()
    {
        // The clock-skew case: thousands of operations within seconds, then an ID from a clock 60 s behind.
        var state = OpenAccount(0);
        var journal = new List<OperationRecord>();
        for (var i = 0; i < 2000; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, Guid.CreateVersion7(Now.AddMilliseconds(i)), 1), Now.AddSeconds(2));
            if (i % 100 == 99)
            {
                Ship(state, journal);
            }
        }

        var late = Guid.CreateVersion7(Now.AddSeconds(-60));
        var later = Now.AddSeconds(3);
        Assert.Equal(AdmissionVerdict.LookUpJournal, _rules.Admit(state, new(OperationKind.Withdrawal, late, 100), later).Verdict);

        var executed = _rules.Process(state, new(OperationKind.Withdrawal, late, 100), later, Find(state, journal, late));
        var retry = _rules.Process(state, new(OperationKind.Withdrawal, late, 100), later);

        Assert.Equal((OperationStatus.Succeeded, false, 1900L), (executed.Status, executed.IsReplay, executed.BalanceAfter!.Value));
        Assert.Equal(executed with { IsReplay = true }, retry);
        Assert.Equal(1900, state.Balance);
    }

    [Fact]
    public void JournalLookup_StaleBecauseARecordLeftMeanwhile_MustBeRepeated()
    {
        var state = OpenAccount(1000);
        var journal = new List<OperationRecord>();
        for (var i = 0; i < 6; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(i)), 1), Now.AddMinutes(1));
        }

        Ship(state, journal);
        var id = IdAt(TimeSpan.FromMilliseconds(500));
        var lookup = Find(state, journal, id);

        // While the look-up ran, the same ID executed, was journaled and left the window.
        _rules.Process(state, new(OperationKind.Deposit, id, 1), Now.AddMinutes(1), Find(state, journal, id));
        for (var i = 0; i < 4; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(10 + i)), 1), Now.AddMinutes(1));
        }

        Ship(state, journal);
        Assert.Null(OperationWindow.Find(state, id));

        Assert.Equal(AdmissionVerdict.LookUpJournal, _rules.Admit(state, new(OperationKind.Deposit, id, 1), Now.AddMinutes(1), lookup).Verdict);
        Assert.True(_rules.Process(state, new(OperationKind.Deposit, id, 1), Now.AddMinutes(1), Find(state, journal, id)).IsReplay);
        Assert.Equal(1011, state.Balance);
    }

    [Fact]
    public void PrunedId_NotFound_RefusedAsExpiredNeverExecuted()
    {
        var rules = new AccountRules(new AccountOptions { OperationWindowSize = 2, JournalRetention = TimeSpan.FromDays(1), MaxOperationAge = TimeSpan.FromHours(12) });
        var state = OpenAccount(1000);
        var journal = new List<OperationRecord>();
        var old = IdAt(-TimeSpan.FromHours(11));
        rules.Process(state, new(OperationKind.Withdrawal, old, 10), Now);
        for (var i = 0; i < 3; i++)
        {
            rules.Process(state, new(OperationKind.Withdrawal, IdAt(TimeSpan.FromSeconds(i)), 10), Now);
        }

        Ship(state, journal, rules);
        journal.RemoveAll(r => r.OperationId == old);
        var pruned = new JournalLookup([], Now.AddHours(-10).ToUnixTimeMilliseconds(), state.LastSequence);

        Assert.Equal(OperationStatus.OperationExpired, rules.Process(state, new(OperationKind.Withdrawal, old, 10), Now, pruned).Status);
        Assert.True(rules.TryLookup(state, old, Now, pruned, out var lookup));
        Assert.Equal(OperationLookupStatus.Expired, lookup.Status);
        Assert.Equal(960, state.Balance);

        // Beyond the retention, a never-seen ID is refused as well (its row would be pruned).
        Assert.Equal(OperationStatus.OperationExpired, rules.Process(state, new(OperationKind.Deposit, IdAt(-TimeSpan.FromDays(1)), 1), Now, pruned).Status);
    }

    [Fact]
    public void LookupTransfer_DebitStillJournaledButItsFinishedEventPrunedFirst_ExpiredNeverPending()
    {
        // A prune deletes in batches in no order: between two of them the journal can hold a finished
        // transfer's debit without the row that says how it finished.
        var rules = new AccountRules(new AccountOptions { OperationWindowSize = 2, JournalRetention = TimeSpan.FromDays(1), MaxOperationAge = TimeSpan.FromHours(12) });
        var transferId = IdAt(-TimeSpan.FromHours(11));
        var debit = new OperationRecord(transferId, OperationKind.TransferOut, 100, OperationStatus.Succeeded, 900, "bob", TransferState.Pending)
        {
            Sequence = 1,
            RecordedUnixMs = Uuid7.GetUnixTimeMilliseconds(transferId),
        };
        var state = new AccountState { IsOpen = true, Balance = 900, LastSequence = 5, JournaledThrough = 5, JournalBoundaryUnixMs = Now.ToUnixTimeMilliseconds() };
        var journal = new JournalLookup([debit], Now.AddHours(-10).ToUnixTimeMilliseconds(), state.LastSequence);

        Assert.True(rules.TryLookupTransfer(state, "alice", transferId, Now, journal, out var finished));
        Assert.Equal((TransferLookupStatus.Expired, null), (finished.Status, finished.Transfer));

        // Still in the outbox: pending it is.
        state.PendingTransfers.Add(new PendingTransfer(transferId, "bob", 100));
        Assert.True(rules.TryLookupTransfer(state, "alice", transferId, Now, journal, out var pending));
        Assert.Equal((TransferLookupStatus.Found, TransferState.Pending), (pending.Status, pending.Transfer?.State));
    }

    [Fact]
    public void LegacyEvictedFloor_StillRefusedAsExpired()
    {
        var state = OpenAccount(1000);
        state.EvictedThroughUnixMs = Now.AddMinutes(-5).ToUnixTimeMilliseconds();

        Assert.Equal(OperationStatus.OperationExpired, _rules.Process(state, new(OperationKind.Withdrawal, IdAt(-TimeSpan.FromMinutes(6)), 10), Now).Status);
        Assert.Equal(OperationStatus.Succeeded, _rules.Process(state, new(OperationKind.Withdrawal, IdAt(-TimeSpan.FromMinutes(4)), 10), Now).Status);
    }

    [Fact]
    public void Upgrade_RecordsWithoutSequence_NumberedInWindowOrder()
    {
        var state = OpenAccount(1000);
        state.Operations.AddRange(Enumerable.Range(0, 3).Select(i =>
            new OperationRecord(IdAt(TimeSpan.FromSeconds(i)), OperationKind.Deposit, 1, OperationStatus.Succeeded, 1000)));

        Assert.True(AccountRules.Upgrade(state));
        Assert.False(AccountRules.Upgrade(state));

        Assert.Equal([1L, 2, 3], state.Operations.Select(r => r.Sequence));
        Assert.Equal(3, state.LastSequence);
        Assert.Equal(3, state.Unjournaled);
    }

    [Fact]
    public void Lookup_ReportsFoundUnknownAndInvalid()
    {
        var state = OpenAccount(100);
        var id = IdAt(TimeSpan.Zero);
        var executed = _rules.Process(state, new(OperationKind.Withdrawal, id, 40), Now);

        Assert.Equal(new OperationLookupResult(OperationLookupStatus.Found, executed with { IsReplay = true }), Lookup(state, id));
        Assert.Equal(OperationLookupStatus.Unknown, Lookup(state, IdAt(TimeSpan.FromSeconds(1))).Status);
        Assert.Equal(OperationLookupStatus.Unknown, Lookup(state, IdAt(-TimeSpan.FromHours(2))).Status);
        Assert.Equal(OperationLookupStatus.InvalidOperationId, Lookup(state, Guid.NewGuid()).Status);
        // From beyond the clock skew: a request with it is refused as malformed, so is its look-up.
        Assert.Equal(OperationLookupStatus.InvalidOperationId, Lookup(state, IdAt(TimeSpan.FromHours(1))).Status);
        Assert.Equal(OperationLookupStatus.AccountNotFound, Lookup(new AccountState(), id).Status);
    }

    [Fact]
    public void Statement_AcrossWindowAndJournal_CompleteInOrderAndSumsToBalance()
    {
        var state = OpenAccount(0);
        var journal = new List<OperationRecord>();
        for (var i = 0; i < 10; i++)
        {
            // Out-of-order IDs: the statement follows execution order, not ID order.
            var id = IdAt(TimeSpan.FromSeconds(i % 2 == 0 ? i : -i));
            _rules.Process(state, i % 3 == 2 ? new(OperationKind.Withdrawal, id, 5) : new(OperationKind.Deposit, id, 10), Now, Find(state, journal, id));
            if (i == 6)
            {
                Ship(state, journal);
            }
        }

        var entries = new List<StatementEntry>();
        long? after = 0;
        while (after is { } cursor)
        {
            var page = AccountRules.Statement(state, journal.Where(r => r.Sequence > cursor).OrderBy(r => r.Sequence).Take(3).ToList(), cursor, 3);
            entries.AddRange(page.Entries);
            after = page.NextAfter;
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(state.Balance, entries.Sum(e => e.BalanceEffect));
        Assert.Equal(state.Balance, entries[^1].BalanceAfter);
    }

    [Fact]
    public void Statement_RecordMissingFromBothTiers_ThrowsInsteadOfSkipping()
    {
        var state = OpenAccount(0);
        for (var i = 0; i < 6; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(i)), 10), Now);
        }

        _rules.MarkJournaled(state, 6);
        Assert.Throws<InvalidOperationException>(() => AccountRules.Statement(state, [], 0, 10));
    }

    [Fact]
    public void Statement_RecordsPrunedByTheRetention_NotListedEvenFromTheWindow_TallySumsToTheBalance()
    {
        var state = OpenAccount(0);
        var journal = new List<OperationRecord>();
        for (var i = 0; i < 6; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(i)), 10 + i), Now);
        }

        Ship(state, journal);
        Assert.Equal([3L, 4, 5, 6], state.Operations.Select(r => r.Sequence));

        // The retention took records 1 to 3: the journal lists what is above its floor and tallies the rest;
        // record 3 is still in the window, yet it is pruned history now, counted once, in the tally.
        var floor = Uuid7.GetUnixTimeMilliseconds(journal.Single(r => r.Sequence == 3).OperationId);
        var page = AccountRules.Statement(state, new JournalPage([.. journal.Where(r => r.Sequence > 3)], 3, 10 + 11 + 12, floor, 3), 0, 10);

        Assert.Equal([4L, 5, 6], page.Entries.Select(e => e.Sequence));
        Assert.Equal((3L, 33L), (page.PrunedRecords, page.PrunedEffect));
        Assert.Equal(state.Balance, page.PrunedEffect + page.Entries.Sum(e => e.BalanceEffect));
        Assert.Null(page.NextAfter);
    }

    [Fact]
    public void Statement_RecordWithAnIdBelowTheFloorRecordedAfterIt_ListedNotCountedAsPruned()
    {
        // The refund of a transfer held past the retention: its ID carries the transfer's time, below the
        // floor, but it was recorded after the floor was raised. Still only in the window, it is listed
        // (it was neither a gap nor missing from the page's totals).
        var state = OpenAccount(0);
        var old = IdAt(-TimeSpan.FromDays(3));
        _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.Zero), 10), Now);
        var journal = new List<OperationRecord>();
        Ship(state, journal);
        var refund = new OperationRecord(old, OperationKind.TransferRefund, 25, OperationStatus.Succeeded, 35, "bob", TransferState.Refunded)
        {
            Sequence = 2,
            RecordedUnixMs = Now.ToUnixTimeMilliseconds(),
        };
        state.Operations.Add(refund);
        state.LastSequence = 2;
        state.Balance = 35;
        var floor = Now.AddDays(-2).ToUnixTimeMilliseconds();

        var page = AccountRules.Statement(state, new JournalPage([], 0, 0, floor, 0), 1, 10);

        Assert.Equal([2L], page.Entries.Select(e => e.Sequence));
        Assert.Equal(state.Balance, page.Entries.Sum(e => e.BalanceEffect) + 10);
    }

    [Fact]
    public void Statement_RecordsTheJournalRefusedForLongerThanTheRetention_ListedNotCountedAsPruned()
    {
        // The journal took records 1 and 2 (since pruned), then refused appends for longer than the
        // retention: records 3 to 6 are as old as the floor but only in the window. Counted as pruned by
        // their age, they were neither listed nor in the tally, and the balance did not add up.
        var state = OpenAccount(0);
        var journal = new List<OperationRecord>();
        for (var i = 0; i < 6; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(i)), 10 + i), Now);
            if (i == 1)
            {
                Ship(state, journal);
            }
        }

        Assert.Equal([3L, 4, 5, 6], state.Operations.Select(r => r.Sequence));
        var floor = Now.AddSeconds(10).ToUnixTimeMilliseconds();

        var page = AccountRules.Statement(state, new JournalPage([], 2, 10 + 11, floor, 2), 0, 10);

        Assert.Equal([3L, 4, 5, 6], page.Entries.Select(e => e.Sequence));
        Assert.Equal((2L, 21L), (page.PrunedRecords, page.PrunedEffect));
        Assert.Equal(state.Balance, page.PrunedEffect + page.Entries.Sum(e => e.BalanceEffect));
    }

    [Fact]
    public void Statement_NothingJournaledYetAndAllOlderThanTheFloor_ListedNoGap()
    {
        // An account whose every append the journal refused for longer than the retention: its statement
        // failed as a gap (500) although the window holds every record.
        var state = OpenAccount(0);
        for (var i = 0; i < 3; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(i)), 10), Now);
        }

        var page = AccountRules.Statement(state, new JournalPage([], 0, 0, Now.AddSeconds(10).ToUnixTimeMilliseconds(), 0), 0, 10);

        Assert.Equal([1L, 2, 3], page.Entries.Select(e => e.Sequence));
        Assert.Equal(state.Balance, page.Entries.Sum(e => e.BalanceEffect));
    }

    [Fact]
    public void Statement_RecordMissingAboveThePrunedOnes_ThrowsInsteadOfSkipping()
    {
        // Records 1 and 2 were pruned; record 3 is in neither tier: it is lost, not pruned, and the page
        // says so instead of starting at 4 as if the retention had taken it.
        var state = OpenAccount(0);
        var journal = new List<OperationRecord>();
        for (var i = 0; i < 8; i++)
        {
            _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(i)), 10), Now);
        }

        Ship(state, journal);
        _rules.Process(state, new(OperationKind.Deposit, IdAt(TimeSpan.FromSeconds(8)), 10), Now);
        Assert.DoesNotContain(state.Operations, r => r.Sequence == 3);
        var floor = Uuid7.GetUnixTimeMilliseconds(journal.Single(r => r.Sequence == 2).OperationId);

        Assert.Throws<InvalidOperationException>(() =>
            AccountRules.Statement(state, new JournalPage([.. journal.Where(r => r.Sequence > 3)], 2, 20, floor, 2), 0, 10));
    }

    [Fact]
    public void Options_Invalid_RejectedNamingTheRuleBroken()
    {
        AssertRefused(new AccountOptions { OperationWindowSize = 0 }, "OperationWindowSize");
        AssertRefused(new AccountOptions { MaxClockSkew = TimeSpan.FromMinutes(1), JournalRetention = TimeSpan.FromMinutes(1) }, "JournalRetention must be longer than MaxClockSkew");
        AssertRefused(new AccountOptions { MaxOperationAge = TimeSpan.FromMinutes(1) }, "MaxOperationAge must be longer than MaxClockSkew");
        AssertRefused(new AccountOptions { MaxClockSkew = TimeSpan.FromMinutes(-1) }, "MaxClockSkew must be zero or positive");
    }

    [Fact]
    public void Options_RetentionSet_MaxOperationAgeMustBeAtMostHalfOfIt()
    {
        // Else an operation admitted near the retention's edge could be pruned right after it ran,
        // and its retry refused as expired instead of replayed.
        AssertRefused(new AccountOptions { JournalRetention = TimeSpan.FromDays(10) }, "at most half of JournalRetention");
        AssertRefused(new AccountOptions { JournalRetention = TimeSpan.FromDays(10), MaxOperationAge = null }, "MaxOperationAge must be set");
        _ = new AccountRules(new AccountOptions { JournalRetention = TimeSpan.FromDays(14) });
        _ = new AccountRules(new AccountOptions { JournalRetention = TimeSpan.FromHours(1), MaxOperationAge = TimeSpan.FromMinutes(30) });
        _ = new AccountRules(new AccountOptions { MaxOperationAge = null });
    }

    private static void AssertRefused(AccountOptions options, string rule)
    {
        var refused = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new AccountRules(options));
        Assert.Contains(rule, refused.Message, StringComparison.Ordinal);
    }

    private OperationLookupResult Lookup(AccountState state, Guid id)
    {
        Assert.True(_rules.TryLookup(state, id, Now, null, out var result));
        return result;
    }

    /// <summary>What the grain's journal shipping does: append what is unconfirmed, then mark it journaled.</summary>
    private void Ship(AccountState state, List<OperationRecord> journal, AccountRules? rules = null)
    {
        journal.AddRange(state.Operations.Where(r => r.Sequence > state.JournaledThrough));
        (rules ?? _rules).MarkJournaled(state, state.LastSequence);
    }

    private static JournalLookup Find(AccountState state, List<OperationRecord> journal, Guid id) =>
        new(journal.Where(r => r.OperationId == id).ToList(), 0, state.LastSequence);
}
