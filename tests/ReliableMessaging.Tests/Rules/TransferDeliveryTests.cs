using Microsoft.Extensions.Logging;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// Transfer delivery without a cluster: every call (reminder, debit, credit, outcome write) and every
/// timer is held by <see cref="FakeDeliveryHost"/> until the test answers it, so each interleaving is
/// played step by step, with no sleeps. Each test runs on the thread pool without a synchronization
/// context, so a completed call resumes the delivery inline before the test's next step.
/// </summary>
public sealed class TransferDeliveryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static readonly AccountOptions Options = new()
    {
        TransferRetryPeriod = TimeSpan.FromSeconds(2),
        TransferAlertAge = TimeSpan.FromMinutes(5),
    };

    /// <summary>Who resolves held transfers in these tests, and why: recorded with the outcome.</summary>
    private const string ByOperator = "operator alice@ops: the destination's backup shows the credit";

    private readonly FakeDeliveryHost _host = new();
    private readonly ManualClock _clock = new(Now);
    private readonly RecordingLogger _log = new();
    private readonly TransferDelivery _delivery;

    public TransferDeliveryTests()
    {
        _delivery = new TransferDelivery(_host, Options, _clock, _log, "alice");
    }

    private static PendingTransfer Transfer(int millisecond = 0, long amount = 100) =>
        new(Guid.CreateVersion7(Now.AddMilliseconds(millisecond)), "bob", amount, Now.ToUnixTimeMilliseconds());

    /// <summary>
    /// Plays the steps one at a time, as a grain's turns run: on an exclusive scheduler (no
    /// synchronization context), so a completed call resumes the delivery inline before the test's next
    /// step, and a continuation that is queued instead (the second waiter of a shared task) runs only
    /// when the test yields, never beside it on the thread pool.
    /// </summary>
    private static Task Play(Func<Task> steps) =>
        Task.Factory.StartNew(steps, CancellationToken.None, TaskCreationOptions.DenyChildAttach, new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler).Unwrap();

    /// <summary>Yields to the queued continuations until <paramref name="condition"/> holds (at most 10 s).</summary>
    private static async Task UntilAsync(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because);
            await Task.Yield();
        }
    }

    private Task<OperationResult> Start(PendingTransfer transfer) =>
        _delivery.StartAsync(transfer.TransferId, () => _host.Debit(transfer));

    /// <summary>A transfer started, its reminder registered (when asked) and its debit committed; its first credit is in flight.</summary>
    private async Task<PendingTransfer> StartedAsync(int millisecond = 0)
    {
        var transfer = Transfer(millisecond);
        var start = Start(transfer);
        if (_host.Registers.Count > 0 && !_host.Registers[^1].Task.IsCompleted)
        {
            _host.CompleteRegister(_host.Registers.Count - 1);
        }

        _host.CommitDebit(_host.Debits.Count - 1);
        Assert.Equal(OperationStatus.Succeeded, (await start).Status);
        return transfer;
    }

    /// <summary>After an unregistration whose outcome is unknown: the next start registers the reminder again before its debit.</summary>
    private async Task NextStartRegistersAgainBeforeItsDebitAsync()
    {
        var start = Start(Transfer(1));
        Assert.Equal(2, _host.Registers.Count);
        Assert.Single(_host.Debits);
        _host.CompleteRegister(1);
        _host.CommitDebit(1);
        await start;

        Assert.True(_host.ReminderRowExists);
        Assert.False(_host.WindowWithoutReminder);
    }

    [Fact]
    public Task Start_ReminderRegisteredBeforeTheDebit_ThenDeliveredAtOnce() => Play(async () =>
    {
        var transfer = Transfer();
        var start = Start(transfer);

        Assert.Single(_host.Registers);
        Assert.Empty(_host.Debits);
        _host.CompleteRegister(0);
        Assert.Single(_host.Debits);
        _host.CommitDebit(0);

        Assert.Equal(OperationStatus.Succeeded, (await start).Status);
        var credit = Assert.Single(_host.Credits);
        Assert.Equal((transfer, TransferDelivery.CreditId(transfer.TransferId)), (credit.Transfer, credit.CreditId));
        Assert.Equal(DeliveryReminderState.Registered, _delivery.Reminder);
    });

    [Fact]
    public Task Pending_CountedFromItsDebitUntilFinished_DeliveryDurationRecordedWithItsOutcome() => Play(async () =>
    {
        var durations = new System.Collections.Concurrent.ConcurrentBag<(double Seconds, string? Outcome)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument == AccountMetrics.TransferDeliveryDuration)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => durations.Add((value, (string?)tags[0].Value)));
        listener.Start();

        var transfer = await StartedAsync();
        Assert.Equal(1, _delivery.ReportedPending);
        _clock.Now = Now.AddSeconds(7.25);
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        Assert.Equal(1, _delivery.ReportedPending);
        _host.CommitFinish(0);

        Assert.Equal(0, _delivery.ReportedPending);
        // Other tests record too (the instrument is static): this one is told apart by its duration.
        Assert.Contains((7.25, "completed"), durations);
        Assert.NotEqual(default, transfer.TransferId);
    });

    [Fact]
    public Task Stop_TheActivationEnds_ItsPendingTransfersNoLongerCountedHere() => Play(async () =>
    {
        await StartedAsync();
        await StartedAsync(millisecond: 1);
        Assert.Equal(2, _delivery.ReportedPending);

        _delivery.Stop();

        Assert.Equal(0, _delivery.ReportedPending);
    });

    [Fact]
    public Task Credited_CompletedOnceAndReminderRemovedWhenOutboxEmpty() => Play(async () =>
    {
        await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.Succeeded);

        Assert.Equal(TransferState.Completed, Assert.Single(_host.Finishes).Outcome);
        Assert.Empty(_host.Unregisters);
        _host.CommitFinish(0);
        Assert.Single(_host.Unregisters);
        _host.CompleteUnregister(0);

        // The outcome's own write (checked on the row's ETag) emptied the outbox: no further check write.
        Assert.Equal(0, _host.Confirms);
        Assert.Equal(DeliveryReminderState.Absent, _delivery.Reminder);
        Assert.False(_host.ReminderRowExists);
        Assert.Empty(_host.Timers);
        Assert.False(_host.WindowWithoutReminder);
    });

    [Fact]
    public Task ReminderTickOnAnOlderActivation_EmptyOutboxThere_NeverRemovesTheReminder() => Play(() =>
    {
        // A split brain: this activation loaded the account before the current one debited a transfer
        // whose delivery keeps failing. Its outbox is empty; were it to remove the reminder, that
        // transfer would be left to nobody once the current activation is gone. Its checked write fails.
        _host.IsStale = true;
        var stale = new TransferDelivery(_host, Options, _clock, _log, "alice");

        stale.OnReminder();

        Assert.Equal(1, _host.Confirms);
        Assert.Empty(_host.Unregisters);
        Assert.NotEqual(DeliveryReminderState.Absent, stale.Reminder);

        // The current activation (its write goes through) removes a reminder with nothing left to deliver.
        _host.IsStale = false;
        stale.OnReminder();
        Assert.Single(_host.Unregisters);
        return Task.CompletedTask;
    });

    [Fact]
    public Task StartDuringReminderRemoval_ReminderRegisteredAgainBeforeItsDebit() => Play(async () =>
    {
        // The last transfer completes and the reminder's removal is in flight...
        await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.CommitFinish(0);
        Assert.Single(_host.Unregisters);

        // ...when a new transfer starts: it must not debit on the strength of the old reminder.
        var second = Transfer(1);
        var start = Start(second);
        Assert.Single(_host.Debits);
        Assert.Single(_host.Registers);

        _host.CompleteUnregister(0);
        Assert.Equal(2, _host.Registers.Count);
        Assert.Single(_host.Debits);
        _host.CompleteRegister(1);
        Assert.Equal(2, _host.Debits.Count);
        _host.CommitDebit(1);
        await start;

        Assert.True(_host.ReminderRowExists);
        Assert.False(_host.WindowWithoutReminder);
        Assert.Equal(DeliveryReminderState.Registered, _delivery.Reminder);
    });

    [Fact]
    public Task TransferStartingWhileLastDeliveryFinishes_ReminderKept() => Play(async () =>
    {
        await StartedAsync();
        var second = Transfer(1);
        var start = Start(second);
        Assert.Equal(2, _host.Debits.Count);

        // The outbox empties while the second debit is still being written: the reminder stays.
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.CommitFinish(0);
        Assert.Empty(_host.Unregisters);

        _host.CommitDebit(1);
        await start;
        Assert.Equal(second, _host.Credits[^1].Transfer);
        Assert.True(_host.ReminderRowExists);
        Assert.False(_host.WindowWithoutReminder);
    });

    [Fact]
    public Task UnregisterWhileTheReminderTableIsDown_AWarningNotABug_NextStartRegistersAgain() => Play(async () =>
    {
        // The reminder table's outage arrives as storage-unavailable: an outage to log and retry, not error 1028 "a bug".
        await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.CommitFinish(0);
        _host.FailUnregister(0, rowDeleted: false, new AccountStorageException("The reminder table is unavailable."));

        Assert.Equal(DeliveryReminderState.Unknown, _delivery.Reminder);
        Assert.DoesNotContain(_log.Events, e => e.Level >= LogLevel.Error);
        Assert.Contains(_log.Events, e => e.EventId == 1027 && e.Level == LogLevel.Warning);

        // Whether the row survived is unknown: the next start registers before it debits.
        await NextStartRegistersAgainBeforeItsDebitAsync();
    });

    [Fact]
    public Task UnregisterTimedOutAfterDeletingTheRow_NextStartRegistersAgain() => Play(async () =>
    {
        await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.CommitFinish(0);
        _host.FailUnregister(0, rowDeleted: true);
        Assert.Equal(DeliveryReminderState.Unknown, _delivery.Reminder);

        await NextStartRegistersAgainBeforeItsDebitAsync();
    });

    [Fact]
    public Task RegisterFails_StartFailsWithNothingDebited_NextStartRegistersAgain() => Play(async () =>
    {
        var transfer = Transfer();
        var start = Start(transfer);
        _host.FailRegister(0, rowWritten: true);

        await Assert.ThrowsAsync<TimeoutException>(() => start);
        Assert.Empty(_host.Debits);
        Assert.Equal(DeliveryReminderState.Unknown, _delivery.Reminder);

        var retry = Start(transfer);
        Assert.Equal(2, _host.Registers.Count);
        _host.CompleteRegister(1);
        _host.CommitDebit(0);
        Assert.Equal(OperationStatus.Succeeded, (await retry).Status);
    });

    [Fact]
    public Task RegisterRefusedByAReminderServiceStillLoading_StartFailsRetryably_NothingDebited_RetryStartsOnce() => Play(async () =>
    {
        // After a silo restarted while PostgreSQL did, Orleans' reminder service refuses registrations
        // until its range loads: an OrleansException the front end answered with 500 (never retried).
        var transfer = Transfer();
        var start = Start(transfer);
        _host.FailRegister(0, rowWritten: false, new OrleansException(
            "Reminder Service is still initializing and it is taking a long time. Please retry again later.", new TimeoutException()));

        var refused = await Assert.ThrowsAsync<AccountStorageException>(() => start);
        Assert.False(refused.IsConflict);
        Assert.Empty(_host.Debits);
        Assert.Equal(DeliveryReminderState.Unknown, _delivery.Reminder);

        var retry = Start(transfer);
        _host.CompleteRegister(1);
        _host.CommitDebit(0);
        Assert.Equal(OperationStatus.Succeeded, (await retry).Status);
        Assert.Single(_host.Debits);
    });

    [Fact]
    public Task RegisterFailsWithAnErrorThatWouldRepeat_PassedOnAsItIs_NothingDebited() => Play(async () =>
    {
        var transfer = Transfer();
        var start = Start(transfer);
        var failure = new OrleansException("ReminderService failed initial load of reminders.", new InvalidCastException("not a reminder row"));
        _host.FailRegister(0, rowWritten: false, failure);

        Assert.Same(failure, await Assert.ThrowsAsync<OrleansException>(() => start));
        Assert.Empty(_host.Debits);
    });

    [Fact]
    public Task RegisterSlow_StartsMeanwhileShareItsOneAttempt_AllFailWithIt_NextStartRegistersAgain() => Play(async () =>
    {
        // Behind a reminder service that answers slowly, each start queued an attempt of its own, and
        // they piled up: every start of the account waited behind all of them.
        var starts = Enumerable.Range(0, 5).Select(i => Start(Transfer(millisecond: i))).ToList();
        Assert.Single(_host.Registers);

        _host.FailRegister(0, rowWritten: false);

        await UntilAsync(() => starts.TrueForAll(start => start.IsCompleted), "starts still wait after the attempt failed");
        foreach (var start in starts)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => start);
        }

        Assert.Single(_host.Registers);
        Assert.Empty(_host.Debits);

        var retry = Start(Transfer(millisecond: 9));
        Assert.Equal(2, _host.Registers.Count);
        _host.CompleteRegister(1);
        _host.CommitDebit(0);
        Assert.Equal(OperationStatus.Succeeded, (await retry).Status);
    });

    [Fact]
    public Task CreditFromFutureOrTimedOut_RetriedWithBackoffUnderSameCreditId_NeverFinal() => Play(async () =>
    {
        var transfer = await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.OperationIdFromFuture);
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            Assert.Empty(_host.Finishes);
            _clock.Now += _host.Timers[^1];
            _delivery.OnTimer();
            if (attempt % 2 == 0)
            {
                _host.AnswerCredit(attempt, OperationStatus.OperationIdFromFuture);
            }
            else
            {
                _host.FailCredit(attempt);
            }
        }

        // Each wait is as long as the transfer has been pending (200 ms at least), so they double; at most
        // the retry period (2 s here) after a timeout, and at most 1 s after a refusal from the future.
        Assert.Equal([200, 200, 400, 800, 1000, 2000], _host.Timers.Select(t => t.TotalMilliseconds));
        Assert.Empty(_host.Unregisters);
        Assert.True(_host.ReminderRowExists);

        _clock.Now += _host.Timers[^1];
        _delivery.OnTimer();
        _host.AnswerCredit(6, OperationStatus.Succeeded);
        Assert.Equal(TransferState.Completed, Assert.Single(_host.Finishes).Outcome);
        _host.CommitFinish(0);

        Assert.All(_host.Credits, c => Assert.Equal(TransferDelivery.CreditId(transfer.TransferId), c.CreditId));
        Assert.Single(_host.Unregisters);
    });

    [Fact]
    public Task PassStartedByAnotherDebit_SendsOnlyTheNewTransfer_APendingOneWaitsForItsOwnBackoff() => Play(async () =>
    {
        var first = await StartedAsync();
        _host.FailCredit(0);
        Assert.Equal([200], _host.Timers.Select(t => t.TotalMilliseconds));

        // Before the first is due, a second transfer's debit starts a pass: only the new one goes out.
        _clock.Now = Now.AddMilliseconds(100);
        var second = await StartedAsync(millisecond: 1);
        Assert.Equal([first, second], _host.Credits.Select(c => c.Transfer));
        _host.AnswerCredit(1, OperationStatus.Succeeded);
        _host.CommitFinish(0);

        // The pass asks to be woken when the first is due (200 ms after its attempt), and sends it then.
        Assert.Equal(100, _host.Timers[^1].TotalMilliseconds);
        _clock.Now = Now.AddMilliseconds(200);
        _delivery.OnTimer();
        Assert.Equal([first, second, first], _host.Credits.Select(c => c.Transfer));
        _host.AnswerCredit(2, OperationStatus.Succeeded);
        _host.CommitFinish(1);
        Assert.Equal([TransferState.Completed, TransferState.Completed], _host.Finishes.Select(f => f.Outcome));
        Assert.Empty(_host.Outbox);
    });

    [Fact]
    public Task NewActivation_ReminderSendsAPendingTransferAtOnce_TheOldActivationsBackoffNotCarriedOver() => Play(async () =>
    {
        var first = await StartedAsync();
        _host.FailCredit(0);
        _clock.Now = Now.AddMilliseconds(50);

        // The reminder of a new activation (no backoff known) sends everything pending at once.
        var next = new TransferDelivery(_host, Options, _clock, _log, "alice");
        next.OnReminder();
        Assert.Equal([first, first], _host.Credits.Select(c => c.Transfer));
    });

    [Theory]
    [InlineData(OperationStatus.AccountNotFound)]
    [InlineData(OperationStatus.InvalidAccountId)]
    [InlineData(OperationStatus.InvalidAmount)]
    [InlineData(OperationStatus.OperationIdReused)]
    public Task CreditRefusedForGood_RefundedExactlyOnce(OperationStatus refusal) => Play(async () =>
    {
        var transfer = await StartedAsync();
        _host.AnswerCredit(0, refusal);

        var finish = Assert.Single(_host.Finishes);
        Assert.Equal((transfer, TransferState.Refunded), (finish.Transfer, finish.Outcome));
        _host.CommitFinish(0);

        // Late wake-ups find nothing left to deliver or refund.
        _delivery.OnTimer();
        _delivery.OnReminder();
        Assert.Single(_host.Credits);
        Assert.Single(_host.Finishes);
        Assert.Empty(_host.Outbox);
    });

    [Theory]
    [InlineData(60)]
    [InlineData(40)]
    public Task CreditExpired_NeverRefunded_HeldPendingAndReported(int minutesLater) => Play(async () =>
    {
        // A destination never refuses a credit for its age within the retention, so "expired" means
        // its record may be gone (pruned past the retention, or evicted by a version without a
        // journal) after an earlier delivery applied it and lost the answer: a refund then would pay
        // the money twice. Also at 40 minutes: a destination still on an older version may refuse it
        // by MaxOperationAge, and an operator settles that one as well.
        var (host, delivery, log, transfer) = await StartedWithRetentionAsync();

        _clock.Now = Now.AddMinutes(minutesLater);
        host.AnswerCredit(0, OperationStatus.OperationExpired);

        Assert.Empty(host.Finishes);
        Assert.Equal([transfer], host.Outbox);
        Assert.Contains(log.Events, e => e.EventId == 1029 && e.Level == LogLevel.Error);
        Assert.Equal([transfer.TransferId], delivery.Overdue);
        Assert.Equal(Options.TransferRetryPeriod, host.Timers[^1]);
    });

    [Theory]
    [InlineData(TransferState.Refunded)]
    [InlineData(TransferState.Completed)]
    public Task ResolveHeld_DestinationStillCannotTell_EndsAsTheOperatorSaysOnce(TransferState outcome) => Play(async () =>
    {
        var transfer = await StartedAsync();
        _clock.Now = Now + Options.TransferAlertAge;
        _host.AnswerCredit(0, OperationStatus.OperationExpired);
        Assert.Equal([transfer.TransferId], _delivery.Overdue);

        var resolving = _delivery.ResolveHeldAsync(transfer.TransferId, outcome, ByOperator);
        _host.AnswerCredit(1, OperationStatus.OperationExpired);
        var finish = Assert.Single(_host.Finishes);
        Assert.Equal((transfer, outcome, ByOperator), (finish.Transfer, finish.Outcome, finish.IssuedBy));
        _host.CommitFinish(0);

        Assert.Equal((HeldTransferResolutionStatus.Resolved, OperationStatus.OperationExpired), await resolving);
        Assert.Empty(_delivery.Overdue);
        Assert.Equal((HeldTransferResolutionStatus.NotPending, (OperationStatus?)null), await _delivery.ResolveHeldAsync(transfer.TransferId, outcome, ByOperator));
        Assert.Single(_host.Finishes);
    });

    [Fact]
    public Task Held_CountsAsOverdueNow_PassAfterPass_UntilAnOperatorResolvesIt() => Play(async () =>
    {
        // The alert pages on transfers overdue now: a held one must count for as long as it is held (an
        // increase of the once-per-activation counter fell silent after its window), once, and no more
        // once resolved or its activation ends.
        var transfer = await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.OperationExpired);
        Assert.Equal(0, _delivery.ReportedOverdue);

        _clock.Now = Now + Options.TransferAlertAge;
        _delivery.OnTimer();
        _host.AnswerCredit(1, OperationStatus.OperationExpired);
        Assert.Equal(1, _delivery.ReportedOverdue);
        for (var pass = 2; pass < 5; pass++)
        {
            _clock.Now += Options.TransferRetryPeriod;
            _delivery.OnTimer();
            _host.AnswerCredit(pass, OperationStatus.OperationExpired);
            Assert.Equal(1, _delivery.ReportedOverdue);
        }

        var resolving = _delivery.ResolveHeldAsync(transfer.TransferId, TransferState.Refunded, ByOperator);
        _host.AnswerCredit(5, OperationStatus.OperationExpired);
        _host.CommitFinish(0);
        Assert.Equal(HeldTransferResolutionStatus.Resolved, (await resolving).Status);
        Assert.Equal(0, _delivery.ReportedOverdue);
    });

    [Fact]
    public Task Overdue_ActivationStops_CountsNoMoreOnThisSilo() => Play(async () =>
    {
        await StartedAsync();
        _clock.Now = Now + Options.TransferAlertAge;
        _host.AnswerCredit(0, OperationStatus.OperationExpired);
        Assert.Equal(1, _delivery.ReportedOverdue);

        _delivery.Stop();

        Assert.Equal(0, _delivery.ReportedOverdue);
    });

    [Fact]
    public Task CreditAnsweredWithAStatusThisVersionDoesNotKnow_HeldAndLogged_OtherTransfersDelivered_NotAnOperatorsToRefund() => Play(async () =>
    {
        // A newer destination (a rolling upgrade) may answer with a status this version does not
        // define. Thrown out of the pass, it stopped every transfer behind this one, pass after pass.
        var unknown = (OperationStatus)byte.MaxValue;
        var first = await StartedAsync();
        var second = await StartedAsync(millisecond: 1);
        _host.AnswerCredit(0, unknown);

        var credit = Assert.Single(_host.Credits.Skip(1));
        Assert.Equal(second, credit.Transfer);
        _host.AnswerCredit(1, OperationStatus.Succeeded);
        var finish = Assert.Single(_host.Finishes);
        Assert.Equal((second, TransferState.Completed, (string?)null), (finish.Transfer, finish.Outcome, finish.IssuedBy));
        _host.CommitFinish(0);

        // The first is neither completed nor refunded: held, sent again each retry period, said loudly.
        Assert.Equal([first], _host.Outbox);
        Assert.Equal(Options.TransferRetryPeriod, _host.Timers[^1]);
        Assert.Contains(_log.Events, e => e is { EventId: 1034, Level: LogLevel.Error });
        Assert.DoesNotContain(_log.Events, e => e.EventId == 1028);

        // Not the operator's to end: unlike "expired", the answer does not say the credit can no longer
        // land (a newer destination may still apply it), so a refund could pay twice.
        var resolving = _delivery.ResolveHeldAsync(first.TransferId, TransferState.Refunded, ByOperator);
        _host.AnswerCredit(2, unknown);
        Assert.Equal((HeldTransferResolutionStatus.NotHeld, (OperationStatus?)unknown), await resolving);
        Assert.Single(_host.Finishes);
        Assert.Equal([first], _host.Outbox);

        // Once the version knows the answer (the upgrade finished), the delivery settles it.
        _clock.Now += Options.TransferRetryPeriod;
        _delivery.OnTimer();
        _host.AnswerCredit(3, OperationStatus.Succeeded);
        Assert.Equal((first, TransferState.Completed), (_host.Finishes[^1].Transfer, _host.Finishes[^1].Outcome));
    });

    [Fact]
    public Task ResolveHeld_DestinationNowAnswersOtherwise_NotHeldAndTheDeliverySettlesIt() => Play(async () =>
    {
        // The operator's word never overrides an answer that proves what happened.
        var transfer = await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.OperationExpired);

        var resolving = _delivery.ResolveHeldAsync(transfer.TransferId, TransferState.Refunded, ByOperator);
        _host.AnswerCredit(1, OperationStatus.Succeeded);

        Assert.Equal((HeldTransferResolutionStatus.NotHeld, OperationStatus.Succeeded), await resolving);
        Assert.Empty(_host.Finishes);
        _clock.Now = Now + Options.TransferRetryPeriod;
        _delivery.OnTimer();
        _host.AnswerCredit(2, OperationStatus.Succeeded);
        Assert.Equal((transfer, TransferState.Completed), (_host.Finishes.Single().Transfer, _host.Finishes.Single().Outcome));
    });

    [Fact]
    public Task ResolveHeld_FinishedMeanwhileOrNotATransferOutcome_NothingWritten() => Play(async () =>
    {
        var transfer = await StartedAsync();
        Assert.Equal(HeldTransferResolutionStatus.InvalidOutcome, (await _delivery.ResolveHeldAsync(transfer.TransferId, TransferState.Pending, ByOperator)).Status);
        Assert.Equal(HeldTransferResolutionStatus.NotPending, (await _delivery.ResolveHeldAsync(Guid.CreateVersion7(), TransferState.Refunded, ByOperator)).Status);

        // The delivery's own pass finishes it while the operator's credit is in flight.
        _host.AnswerCredit(0, OperationStatus.OperationExpired);
        var resolving = _delivery.ResolveHeldAsync(transfer.TransferId, TransferState.Refunded, ByOperator);
        _host.Outbox.Remove(transfer);
        _host.AnswerCredit(1, OperationStatus.OperationExpired);

        Assert.Equal(HeldTransferResolutionStatus.NotPending, (await resolving).Status);
        Assert.Empty(_host.Finishes);
        Assert.Single(_host.Credits.Skip(1));
    });

    /// <summary>A delivery with a journal retention of 1 h (and a MaxOperationAge of 30 min): one transfer debited, its first credit in flight.</summary>
    private async Task<(FakeDeliveryHost Host, TransferDelivery Delivery, RecordingLogger Log, PendingTransfer Transfer)> StartedWithRetentionAsync()
    {
        var host = new FakeDeliveryHost();
        var log = new RecordingLogger();
        var options = new AccountOptions
        {
            TransferRetryPeriod = Options.TransferRetryPeriod,
            TransferAlertAge = Options.TransferAlertAge,
            JournalRetention = TimeSpan.FromHours(1),
            MaxOperationAge = TimeSpan.FromMinutes(30),
        };
        var delivery = new TransferDelivery(host, options, _clock, log, "alice");
        var transfer = Transfer();
        var start = delivery.StartAsync(transfer.TransferId, () => host.Debit(transfer));
        host.CompleteRegister(0);
        host.CommitDebit(0);
        Assert.Equal(OperationStatus.Succeeded, (await start).Status);
        return (host, delivery, log, transfer);
    }

    [Fact]
    public void Classify_EveryStatusHasAVerdict_OnlyTimeFixableOnesRetried()
    {
        foreach (var status in Enum.GetValues<OperationStatus>())
        {
            var verdict = TransferDelivery.Classify(status);
            Assert.Equal(
                status switch
                {
                    OperationStatus.Succeeded => CreditVerdict.Credited,
                    OperationStatus.OperationIdFromFuture or OperationStatus.TooManyPendingTransfers => CreditVerdict.Retry,
                    OperationStatus.OperationExpired => CreditVerdict.Hold,
                    _ => CreditVerdict.Refund,
                },
                verdict);
        }

        Assert.Equal(CreditVerdict.Unrecognized, TransferDelivery.Classify((OperationStatus)byte.MaxValue));
    }

    [Fact]
    public Task OutcomeWriteFails_TransferStaysPendingWithItsReminder() => Play(async () =>
    {
        var transfer = await StartedAsync();
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.FailFinish(0);

        Assert.Equal([transfer], _host.Outbox);
        Assert.Empty(_host.Unregisters);
        Assert.Empty(_host.Timers);
        Assert.True(_host.ReminderRowExists);
    });

    [Fact]
    public Task PendingPastAlertAge_AlertRaisedOnceWhileDeliveryContinues() => Play(async () =>
    {
        var transfer = await StartedAsync();
        _clock.Now = Now.AddMinutes(4);
        _host.AnswerCredit(0, OperationStatus.OperationIdFromFuture);
        Assert.Empty(_delivery.Overdue);

        // Each timer fires when it is due.
        _clock.Now = Now.AddMinutes(5);
        _delivery.OnTimer();
        _host.FailCredit(1);
        _clock.Now += _host.Timers[^1];
        _delivery.OnTimer();
        _host.FailCredit(2);

        Assert.Equal([transfer.TransferId], _delivery.Overdue);
        Assert.Single(_log.Events, e => e.EventId == 1025);
        _clock.Now += _host.Timers[^1];
        _delivery.OnTimer();
        _host.AnswerCredit(3, OperationStatus.Succeeded);
        _host.CommitFinish(0);
        Assert.Empty(_delivery.Overdue);
        Assert.Empty(_host.Outbox);
    });

    [Fact]
    public Task NewActivationWithOutbox_DeliversShortlyAndThenRemovesTheReminder() => Play(() =>
    {
        var transfer = Transfer();
        _host.Outbox.Add(transfer);
        _delivery.Resume();

        Assert.Equal([TransferDelivery.FirstRetry], _host.Timers);
        _delivery.OnTimer();
        Assert.Equal(transfer, Assert.Single(_host.Credits).Transfer);
        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.CommitFinish(0);

        // This activation never registered it, but the previous one did: remove it.
        Assert.Single(_host.Unregisters);
        return Task.CompletedTask;
    });

    [Fact]
    public Task TransferCommittedDuringAPass_DeliveredInTheSamePass() => Play(async () =>
    {
        await StartedAsync(0);
        var second = await StartedAsync(1);
        Assert.Single(_host.Credits);

        _host.AnswerCredit(0, OperationStatus.Succeeded);
        _host.CommitFinish(0);

        Assert.Equal(second, _host.Credits[1].Transfer);
        Assert.Empty(_host.Unregisters);
        Assert.Empty(_host.Timers);
    });

    [Fact]
    public Task Lookup_WaitsForARepeatedStart_AfterTheFirstStartOfThatTransferFailed() => Play(async () =>
    {
        // The client repeated a start that timed out while the first was still running here. The first
        // fails; the repeat still runs. A look-up meanwhile must wait for it: "never started" followed by
        // the repeat's debit would make the client pay again under a new key.
        // (Both share the reminder's registration; the first fails at its debit's write.)
        var transfer = Transfer();
        var first = Start(transfer);
        var second = Start(transfer);
        var lookup = _delivery.WhenStartedAsync(transfer.TransferId);
        _host.CompleteRegister(0);
        // The second waiter of the shared registration may resume only once the test yields.
        await UntilAsync(() => _host.Debits.Count == 2, "the repeat never reached its debit");

        _host.FailDebit(0);
        await Assert.ThrowsAsync<AccountStorageException>(() => first);

        Assert.False(lookup.IsCompleted);
        Assert.False(_delivery.WhenStartedAsync(transfer.TransferId).IsCompleted);
        _host.CommitDebit(1);
        Assert.Equal(OperationStatus.Succeeded, (await second).Status);
        Assert.True(lookup.IsCompleted);
        Assert.True(_delivery.WhenStartedAsync(transfer.TransferId).IsCompleted);
    });

    [Fact]
    public Task Lookup_WaitsForAStartInProgressOfThatTransfer() => Play(async () =>
    {
        var transfer = Transfer();
        var start = Start(transfer);
        var lookup = _delivery.WhenStartedAsync(transfer.TransferId);

        Assert.True(_delivery.WhenStartedAsync(Transfer(5).TransferId).IsCompleted);
        Assert.False(lookup.IsCompleted);
        _host.CompleteRegister(0);
        Assert.False(lookup.IsCompleted);
        _host.CommitDebit(0);
        Assert.True(lookup.IsCompleted);
        await start;
    });
}
