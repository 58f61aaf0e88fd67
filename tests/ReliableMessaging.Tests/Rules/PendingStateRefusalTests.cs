using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// Refusals decided on state that is not yet durable (issue 16 item 6): they are answered only
/// once that state is written, and never when its write fails, so a refused key was refused by
/// durable state. Writes are tasks the test completes or fails.
/// </summary>
public sealed class PendingStateRefusalTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly List<TaskCompletionSource> _writes = [];
    private readonly AccountCommitPipeline _pipeline;

    public PendingStateRefusalTests()
    {
        var rules = new AccountRules(new AccountOptions { MaxPendingTransfers = 1 });
        var committed = new AccountState { IsOpen = true, Balance = 1000, Version = 1 };
        _pipeline = new AccountCommitPipeline(rules, committed, _ => Write(), _ => { });
    }

    private Task Write()
    {
        var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _writes.Add(write);
        return write.Task;
    }

    private static Guid NewId(int millisecond) => Guid.CreateVersion7(Now.AddMilliseconds(millisecond));

    [Fact]
    public async Task CreditRefusedOnCommittedState_AnsweredOnlyAfterAWriteChecksThatState()
    {
        // The source refunds on this answer: a write (failing on an older activation's ETag) must
        // confirm the state it was decided on. A client's refusal costs no write.
        var rules = new AccountRules(new AccountOptions());
        var closed = new AccountCommitPipeline(rules, new AccountState(), _ => Write(), _ => { });
        var creditId = TransferDelivery.CreditId(NewId(1));

        var deposit = await closed.ExecuteAsync(new(OperationKind.Deposit, NewId(2), 10), Now).WaitAsync(Timeout);
        Assert.Equal(OperationStatus.AccountNotFound, deposit.Status);
        Assert.Empty(_writes);

        var credit = closed.ExecuteAsync(new(OperationKind.TransferIn, creditId, 10, "alice"), Now);
        Assert.False(credit.IsCompleted);
        _writes[0].SetException(new AccountStorageException("written by another activation meanwhile", isConflict: true));
        await Assert.ThrowsAsync<AccountStorageException>(() => credit.WaitAsync(Timeout));
        Assert.Single(_writes);
    }

    [Fact]
    public async Task CreditRefusedForGood_DeliveredAgainAfterTheAccountOpened_RefusedAlikeNeverApplied()
    {
        // Two activations of the source (a split brain) both hold the transfer: one gets "no such
        // account" and refunds; the other delivers the same credit after the account opened. Applying
        // it then would pay the money twice: the refusal is recorded and answered again.
        var rules = new AccountRules(new AccountOptions());
        var pipeline = new AccountCommitPipeline(rules, new AccountState(), _ => Write(), _ => { });
        var credit = new OperationRequest(OperationKind.TransferIn, TransferDelivery.CreditId(NewId(1)), 10, "alice");

        var refused = pipeline.ExecuteAsync(credit, Now);
        _writes[0].SetResult();
        Assert.Equal(OperationStatus.AccountNotFound, (await refused.WaitAsync(Timeout)).Status);

        var opened = pipeline.OpenAsync();
        _writes[1].SetResult();
        await opened.WaitAsync(Timeout);
        var again = await pipeline.ExecuteAsync(credit, Now.AddSeconds(5)).WaitAsync(Timeout);

        Assert.Equal((OperationStatus.AccountNotFound, true), (again.Status, again.IsReplay));
        Assert.Equal((true, 0L), (pipeline.Committed.IsOpen, pipeline.Committed.Balance));
        Assert.Equal(2, _writes.Count);
    }

    [Fact]
    public void RefusedCredits_OlderThanTheirAgeGoFirst_StillRefusedThroughTheFloor()
    {
        // Forgotten by age, a refused credit delivered again (by a source's activation frozen for longer
        // than that) must still be refused: its source refunded, so applying it would create money.
        var state = new AccountState();
        var old = TransferDelivery.CreditId(NewId(0));
        AccountRules.RecordRefusedCredit(state, new(OperationKind.TransferIn, old, 10, "alice"), OperationStatus.AccountNotFound, Now - AccountRules.RefusedCreditAge - TimeSpan.FromMinutes(1));
        AccountRules.RecordRefusedCredit(state, new(OperationKind.TransferIn, TransferDelivery.CreditId(NewId(1)), 10, "alice"), OperationStatus.AccountNotFound, Now);

        Assert.DoesNotContain(state.RefusedCredits!, r => r.CreditId == old);
        Assert.Single(state.RefusedCredits!);
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(old), state.RefusedCreditsForgottenThroughUnixMs);

        state.IsOpen = true;
        var again = new AccountRules(new AccountOptions()).Process(state, new(OperationKind.TransferIn, old, 10, "alice"), Now);
        Assert.Equal(OperationStatus.AccountNotFound, again.Status);
        Assert.Equal(0, state.Balance);
    }

    [Fact]
    public void RefusedCredits_KeepTheNewestUpToTheBound()
    {
        var state = new AccountState();
        var first = TransferDelivery.CreditId(NewId(0));
        for (var i = 0; i <= AccountRules.MaxRefusedCredits; i++)
        {
            AccountRules.RecordRefusedCredit(state, new(OperationKind.TransferIn, TransferDelivery.CreditId(NewId(i)), 10, "alice"), OperationStatus.AccountNotFound, Now);
        }

        Assert.Equal(AccountRules.MaxRefusedCredits, state.RefusedCredits!.Count);
        Assert.DoesNotContain(state.RefusedCredits, r => r.CreditId == first);
        Assert.Equal(Uuid7.GetUnixTimeMilliseconds(first), state.RefusedCreditsForgottenThroughUnixMs);
    }

    [Fact]
    public async Task CreditRefusedForGood_CrowdedOutOfTheList_DeliveredAgainAfterTheAccountOpened_StillRefused()
    {
        // More refusals than the list keeps, then the account opens: a split-brain delivery of the
        // first (no longer listed) must not be applied after its source refunded. A late credit as old
        // that was never delivered is refused too (its source refunds: the money goes back, once); a
        // newer one is applied.
        var rules = new AccountRules(new AccountOptions());
        var pipeline = new AccountCommitPipeline(rules, new AccountState(), _ => Task.CompletedTask, _ => { });
        var refused = Enumerable.Range(10, AccountRules.MaxRefusedCredits + 1).Select(Credit).ToList();
        foreach (var credit in refused)
        {
            Assert.Equal(OperationStatus.AccountNotFound, (await pipeline.ExecuteAsync(credit, Now).WaitAsync(Timeout)).Status);
        }

        await pipeline.OpenAsync().WaitAsync(Timeout);
        var later = Now.AddSeconds(5);
        var listed = await pipeline.ExecuteAsync(refused[1], later).WaitAsync(Timeout);
        var forgotten = await pipeline.ExecuteAsync(refused[0], later).WaitAsync(Timeout);
        var lateAndOld = await pipeline.ExecuteAsync(Credit(1), later).WaitAsync(Timeout);
        var newer = await pipeline.ExecuteAsync(Credit(5_000), later).WaitAsync(Timeout);

        Assert.Equal((OperationStatus.AccountNotFound, true), (listed.Status, listed.IsReplay));
        Assert.Equal(OperationStatus.AccountNotFound, forgotten.Status);
        Assert.Equal(OperationStatus.AccountNotFound, lateAndOld.Status);
        Assert.Equal((OperationStatus.Succeeded, false), (newer.Status, newer.IsReplay));
        Assert.Equal(10, pipeline.Committed.Balance);
    }

    [Fact]
    public void CreditApplied_ThenOlderRefusalsForgotten_StillReplaysItsCredit()
    {
        var rules = new AccountRules(new AccountOptions());
        var state = new AccountState { IsOpen = true };
        var credit = Credit(1);
        Assert.Equal(OperationStatus.Succeeded, rules.Process(state, credit, Now).Status);

        state.RefusedCreditsForgottenThroughUnixMs = Uuid7.GetUnixTimeMilliseconds(NewId(100));
        var again = rules.Process(state, credit, Now.AddSeconds(5));

        Assert.Equal((OperationStatus.Succeeded, true), (again.Status, again.IsReplay));
        Assert.Equal(10, state.Balance);
    }

    /// <summary>A new credit (a new random ID) whose timestamp is <paramref name="millisecond"/> after <see cref="Now"/>.</summary>
    private static OperationRequest Credit(int millisecond) => new(OperationKind.TransferIn, TransferDelivery.CreditId(NewId(millisecond)), 10, "alice");

    private static Task Done() => Task.CompletedTask;

    [Fact]
    public async Task LookupOfAnUnknownId_AnsweredOnlyAfterAWriteChecksTheState_NotWhenThatWriteFails()
    {
        // An older activation (a paused silo's) must not answer "never executed" for an operation the
        // current one executed: its checking write fails on the ETag, and nothing is answered.
        var unknown = NewId(1);
        var lookup = _pipeline.LookupAsync(unknown, Now);
        Assert.False(lookup.IsCompleted);
        _writes[0].SetException(new AccountStorageException("written by another activation meanwhile", isConflict: true));
        await Assert.ThrowsAsync<AccountStorageException>(() => lookup.WaitAsync(Timeout));

        // A recorded one needs no write; on the current activation "unknown" follows its write.
        var rules = new AccountRules(new AccountOptions());
        var current = new AccountCommitPipeline(rules, new AccountState { IsOpen = true, Balance = 10 }, _ => Write(), _ => { });
        var deposit = current.ExecuteAsync(new(OperationKind.Deposit, NewId(2), 5), Now);
        _writes[1].SetResult();
        await deposit.WaitAsync(Timeout);
        Assert.Equal(OperationLookupStatus.Found, (await current.LookupAsync((await deposit).OperationId, Now).WaitAsync(Timeout)).Status);
        Assert.Equal(2, _writes.Count);
        var answered = current.LookupAsync(unknown, Now);
        _writes[2].SetResult();
        Assert.Equal(OperationLookupStatus.Unknown, (await answered.WaitAsync(Timeout)).Status);
    }

    [Fact]
    public async Task CreditRefusedButNotForGood_NoWrite()
    {
        // From the future (retried) or expired (held): no refund follows, so nothing to check.
        var rules = new AccountRules(new AccountOptions());
        var open = new AccountCommitPipeline(rules, new AccountState { IsOpen = true }, _ => Write(), _ => { });
        var ahead = TransferDelivery.CreditId(Guid.CreateVersion7(Now.AddHours(1)));
        var stale = TransferDelivery.CreditId(Guid.CreateVersion7(Now.AddDays(-1)));

        Assert.Equal(OperationStatus.OperationIdFromFuture, (await open.ExecuteAsync(new(OperationKind.TransferIn, ahead, 10, "alice"), Now).WaitAsync(Timeout)).Status);
        var legacy = new AccountState { IsOpen = true, EvictedThroughUnixMs = Now.ToUnixTimeMilliseconds() };
        var evicted = new AccountCommitPipeline(rules, legacy, _ => Write(), _ => { });
        Assert.Equal(OperationStatus.OperationExpired, (await evicted.ExecuteAsync(new(OperationKind.TransferIn, stale, 10, "alice"), Now).WaitAsync(Timeout)).Status);
        Assert.Empty(_writes);
    }

    [Fact]
    public async Task CreditRefusedOnCommittedState_WriteSucceeds_RefusedAfterIt()
    {
        var rules = new AccountRules(new AccountOptions());
        var closed = new AccountCommitPipeline(rules, new AccountState(), _ => Write(), _ => { });

        var credit = closed.ExecuteAsync(new(OperationKind.TransferIn, TransferDelivery.CreditId(NewId(1)), 10, "alice"), Now);
        _writes[0].SetResult();

        Assert.Equal(OperationStatus.AccountNotFound, (await credit.WaitAsync(Timeout)).Status);
        Assert.False(closed.Committed.IsOpen);
    }

    [Fact]
    public async Task OutboxFullOnPendingDebit_WriteFails_RefusalNeverGivenCallerGetsStorageError()
    {
        var debit = _pipeline.ExecuteAsync(new(OperationKind.TransferOut, NewId(1), 10, "bob"), Now);
        var refused = _pipeline.ExecuteAsync(new(OperationKind.TransferOut, NewId(2), 10, "bob"), Now);
        Assert.False(refused.IsCompleted);

        _writes[0].SetException(new AccountStorageException("disk on fire"));

        await Assert.ThrowsAsync<AccountStorageException>(() => debit.WaitAsync(Timeout));
        await Assert.ThrowsAsync<AccountStorageException>(() => refused.WaitAsync(Timeout));
        Assert.Empty(_pipeline.Committed.PendingTransfers);
    }

    [Fact]
    public async Task OutboxFullOnPendingDebit_WriteSucceeds_RefusedAfterIt()
    {
        var debit = _pipeline.ExecuteAsync(new(OperationKind.TransferOut, NewId(1), 10, "bob"), Now);
        var refused = _pipeline.ExecuteAsync(new(OperationKind.TransferOut, NewId(2), 10, "bob"), Now);
        Assert.False(refused.IsCompleted);

        _writes[0].SetResult();

        Assert.Equal(OperationStatus.Succeeded, (await debit.WaitAsync(Timeout)).Status);
        Assert.Equal(OperationStatus.TooManyPendingTransfers, (await refused.WaitAsync(Timeout)).Status);
        Assert.Single(_writes);
    }

    [Fact]
    public async Task ReusedAgainstAPendingRecord_WriteFails_NotRefusedAsReused()
    {
        var id = NewId(1);
        var original = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 10), Now);
        var reused = _pipeline.ExecuteAsync(new(OperationKind.Withdrawal, id, 11), Now);

        _writes[0].SetException(new AccountStorageException("lost"));

        await Assert.ThrowsAsync<AccountStorageException>(() => original.WaitAsync(Timeout));
        await Assert.ThrowsAsync<AccountStorageException>(() => reused.WaitAsync(Timeout));
    }
}
