using Microsoft.Extensions.Logging;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Delivery of an account's outgoing transfers, as plain code over <see cref="ITransferDeliveryHost"/>:
/// which transfers are being started and delivered, the backoff, the retry timer, the durable
/// reminder, and the alert for transfers pending too long.
/// <list type="bullet">
/// <item>Every credit goes under <see cref="CreditId"/>; the destination's deduplication makes a
/// redelivery a replay. Answers time may fix are retried with backoff, never final; answers time
/// will not fix lead to one refund (<see cref="Classify"/>). No transfer rests in between.</item>
/// <item>No outbox entry without a reminder: a start registers the reminder before its debit, and
/// the reminder is removed only when the committed outbox is empty and no start is in progress.
/// Reminder changes run one at a time; a removal marks the reminder unknown before it starts, so a
/// start arriving meanwhile registers it again after the removal, and a change that failed or timed
/// out leaves it unknown, so the next start registers it again.</item>
/// </list>
/// Not thread-safe: it relies on the grain's single-threaded scheduler.
/// </summary>
public sealed class TransferDelivery
{
    /// <summary>The shortest retry delay, and the first one after a new activation found an outbox.</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest wait before a credit refused as from the future is sent again: only clocks keep it
    /// out (the destination's is behind the ID's timestamp minus its skew), such a refusal costs the
    /// destination no write, and it is admitted as soon as that clock catches up, a moment the source
    /// cannot compute (it does not know the destination's clock).
    /// </summary>
    public static readonly TimeSpan FromFutureRetry = TimeSpan.FromSeconds(1);

    private readonly ITransferDeliveryHost _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _accountId;
    private readonly TimeSpan _maxRetry;
    private readonly TimeSpan _alertAge;
    private readonly Dictionary<Guid, StartsInProgress> _startsById = [];
    private readonly HashSet<Guid> _overdue = [];

    // This delivery pass's own write (a transfer's outcome, checked on the row's ETag) left the outbox
    // empty: the state it saw was current, so removing the reminder needs no further check.
    private bool _outboxEmptiedByOwnWrite;

    // When each transfer that was not finished may be sent again (in memory: a new activation sends
    // every pending transfer once, then each by its own backoff).
    private readonly Dictionary<Guid, DateTimeOffset> _notBefore = [];
    private int _startsInProgress;
    private Task? _registration;
    private Task _reminderTurn = Task.CompletedTask;
    private bool _deliverAgain;

    public TransferDelivery(ITransferDeliveryHost host, AccountOptions options, TimeProvider time, ILogger logger, string accountId)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _host = host;
        _time = time;
        _logger = logger;
        _accountId = accountId;
        _maxRetry = options.TransferRetryPeriod;
        _alertAge = options.TransferAlertAge;
    }

    /// <summary>What this activation knows of the durable reminder.</summary>
    public DeliveryReminderState Reminder { get; private set; }

    /// <summary>True while a delivery pass runs (at most one at a time).</summary>
    public bool IsDelivering { get; private set; }

    /// <summary>Transfers this activation has raised the pending-too-long alert for.</summary>
    public IReadOnlyCollection<Guid> Overdue => _overdue;

    /// <summary>The ID under which a transfer's credit is delivered to the destination.</summary>
    public static Guid CreditId(Guid transferId) => TransferRecordIds.Credit(transferId);

    /// <summary>
    /// The destination's answer to a credit, sorted by whether time may change it. Every status
    /// this version defines has a verdict (a new one fails <c>TransferDeliveryTests</c> until it is
    /// given one); a number it does not define is <see cref="CreditVerdict.Unrecognized"/>.
    /// </summary>
    public static CreditVerdict Classify(OperationStatus status) => status switch
    {
        OperationStatus.Succeeded => CreditVerdict.Credited,

        // The destination's clock is behind the source's, or it is busy: the same credit will be admitted later.
        OperationStatus.OperationIdFromFuture or OperationStatus.TooManyPendingTransfers => CreditVerdict.Retry,

        // Refused for good, and not applied under this ID: no such account, a balance with no room,
        // or the credit ID taken by another operation (a client cannot create a TransferIn, so a record
        // of any other kind or amount under it is someone else's). The money goes back to the source.
        OperationStatus.AccountNotFound or OperationStatus.InvalidAccountId or OperationStatus.InvalidAmount
            or OperationStatus.OperationIdReused or OperationStatus.InvalidOperationId
            or OperationStatus.InsufficientFunds or OperationStatus.TransferToSelf => CreditVerdict.Refund,

        // A destination never refuses a credit for its age within the journal's retention (the
        // transfer was admitted at its source; MaxOperationAge is for clients' requests), so
        // "expired" means the credit's record may be gone: pruned past the retention, or evicted by
        // a version without a journal, after an earlier delivery applied it and lost the answer. A
        // refund could pay the money twice: held for an operator.
        OperationStatus.OperationExpired => CreditVerdict.Hold,

        // Never an exception: thrown out of a delivery pass, it stopped the account's other transfers
        // behind this one, pass after pass.
        _ => CreditVerdict.Unrecognized,
    };

    /// <summary>
    /// Starts a transfer: makes sure the reminder exists, then runs <paramref name="debit"/> (the
    /// debit and the outbox entry in one write) and delivers a new debit at once. Throws, with
    /// nothing debited, when the reminder could not be registered.
    /// </summary>
    public async Task<OperationResult> StartAsync(Guid transferId, Func<Task<OperationResult>> debit)
    {
        ArgumentNullException.ThrowIfNull(debit);
        _startsInProgress++;
        // Every start of the ID counts, not only the first: a repeat that arrived while an earlier one
        // ran must still be waited for once that earlier one has failed, or a look-up meanwhile would
        // answer "never started" and the repeat could then debit.
        if (_startsById.TryGetValue(transferId, out var inProgress))
        {
            inProgress.Count++;
        }
        else
        {
            _startsById.Add(transferId, inProgress = new StartsInProgress());
        }

        try
        {
            // The durable wake-up exists before any debit it must deliver can commit.
            await EnsureReminderAsync();
            var result = await debit();
            if (result is { Status: OperationStatus.Succeeded, IsReplay: false })
            {
                ReportPending();
                Kick();
            }

            return result;
        }
        finally
        {
            _startsInProgress--;
            if (--inProgress.Count == 0)
            {
                _startsById.Remove(transferId);
                inProgress.Ended.SetResult();
            }
        }
    }

    /// <summary>Completes when no start of <paramref name="transferId"/> is in progress here (whatever its outcome), repeats included.</summary>
    public Task WhenStartedAsync(Guid transferId) =>
        _startsById.TryGetValue(transferId, out var inProgress) ? inProgress.Ended.Task : Task.CompletedTask;

    /// <summary>
    /// An operator ends a held transfer as <paramref name="outcome"/>. The credit is sent once more
    /// and the outcome is written only when the destination still answers with a
    /// <see cref="CreditVerdict.Hold"/> ("expired": the credit can no longer be applied under its ID, so
    /// the operator's word cannot be overtaken by it): any other answer proves what happened, or (one
    /// this version cannot read, <see cref="CreditVerdict.Unrecognized"/>) may still mean the credit is
    /// applied later, and the next delivery
    /// settles it. The outcome's records are issued by <paramref name="issuedBy"/> (who resolved it, and
    /// why). Failures (the destination unreachable, the write) reach the operator as they are.
    /// </summary>
    public async Task<(HeldTransferResolutionStatus Status, OperationStatus? DestinationAnswer)> ResolveHeldAsync(Guid transferId, TransferState outcome, string issuedBy)
    {
        if (outcome is not (TransferState.Completed or TransferState.Refunded))
        {
            return (HeldTransferResolutionStatus.InvalidOutcome, null);
        }

        if (FindPending(transferId) is not { } pending)
        {
            return (HeldTransferResolutionStatus.NotPending, null);
        }

        var credit = await _host.SendCreditAsync(pending, CreditId(transferId));
        if (Classify(credit.Status) != CreditVerdict.Hold)
        {
            // Its next delivery (timer or reminder) settles it on that answer.
            return (HeldTransferResolutionStatus.NotHeld, credit.Status);
        }

        // Decided on the outbox as it is after the answer: a delivery pass may have finished it meanwhile.
        if (FindPending(transferId) is not { } stillPending || !await _host.FinishAsync(stillPending, outcome, _time.GetUtcNow(), issuedBy))
        {
            return (HeldTransferResolutionStatus.NotPending, credit.Status);
        }

        Finished(stillPending, outcome);
        return (HeldTransferResolutionStatus.Resolved, credit.Status);
    }

    private PendingTransfer? FindPending(Guid transferId)
    {
        foreach (var pending in _host.CommittedOutbox)
        {
            if (pending.TransferId == transferId)
            {
                return pending;
            }
        }

        return null;
    }

    /// <summary>A new activation found transfers in its outbox: deliver them shortly.</summary>
    public void Resume()
    {
        ReportPending();
        if (_host.CommittedOutbox.Count > 0)
        {
            _host.ScheduleRetry(FirstRetry);
        }
    }

    /// <summary>The retry timer fired.</summary>
    public void OnTimer() => Kick();

    /// <summary>The durable reminder fired (after a crash, or while a destination keeps failing).</summary>
    public void OnReminder() => Kick();

    private void Kick()
    {
        if (IsDelivering)
        {
            _deliverAgain = true;
            return;
        }

        _ = RunGuardedAsync();
    }

    private async Task RunGuardedAsync()
    {
        try
        {
            await DeliverAllAsync();
        }
        catch (Exception exception)
        {
            // A bug, not a delivery failure: say so loudly. The outbox entry keeps its reminder, so
            // delivery is tried again at the next tick.
            AccountLog.DeliveryCrashed(_logger, exception, _accountId);
        }
    }

    /// <summary>Delivers the committed pending transfers that are due, then schedules a retry or removes the reminder.</summary>
    private async Task DeliverAllAsync()
    {
        IsDelivering = true;
        _outboxEmptiedByOwnWrite = false;
        TimeSpan? retryAfter;
        try
        {
            do
            {
                _deliverAgain = false;
                retryAfter = null;
                foreach (var pending in _host.CommittedOutbox.ToArray())
                {
                    if (_host.IsRetired)
                    {
                        return;
                    }

                    // A pass sends only the transfers that are due (new ones at once): one whose backoff
                    // has not run out is not sent again because another transfer's debit started the pass.
                    var id = pending.TransferId;
                    TimeSpan? wanted;
                    var now = _time.GetUtcNow();
                    if (_notBefore.TryGetValue(id, out var due) && due > now)
                    {
                        wanted = due - now;
                    }
                    else if ((wanted = await DeliverOneAsync(pending)) is { } delay)
                    {
                        _notBefore[id] = _time.GetUtcNow() + delay;
                    }
                    else
                    {
                        _notBefore.Remove(id);
                    }

                    if (wanted is { } next && (retryAfter is null || next < retryAfter))
                    {
                        retryAfter = next;
                    }
                }
            }
            while (_deliverAgain);

            ForgetFinished();
        }
        finally
        {
            IsDelivering = false;
        }

        if (_host.IsRetired)
        {
            return;
        }

        if (retryAfter is null && _host.CommittedOutbox.Count == 0)
        {
            await RemoveReminderIfIdleAsync();
        }
        else
        {
            _host.ScheduleRetry(retryAfter ?? FirstRetry);
        }
    }

    /// <summary>Drops the backoff of transfers no longer in the outbox (finished, here or by another activation).</summary>
    private void ForgetFinished()
    {
        if (_notBefore.Count == 0)
        {
            return;
        }

        var pending = _host.CommittedOutbox.Select(transfer => transfer.TransferId).ToHashSet();
        foreach (var id in _notBefore.Keys.Where(id => !pending.Contains(id)).ToArray())
        {
            _notBefore.Remove(id);
        }
    }

    /// <summary>
    /// How long a transfer that was not finished waits before it is sent again: as long as it has been
    /// pending (so the waits double, 200 ms up to <c>TransferRetryPeriod</c>), whatever else the account
    /// delivered meanwhile. The backoff belongs to the transfer, never to the account: a pass started by
    /// other transfers' debits, or by another transfer that keeps failing, neither lengthens nor
    /// shortens it. A credit refused as from the future waits at most <see cref="FromFutureRetry"/>.
    /// </summary>
    private TimeSpan RetryDelay(PendingTransfer pending, bool fromFuture)
    {
        var longest = fromFuture && FromFutureRetry < _maxRetry ? FromFutureRetry : _maxRetry;
        var age = _time.GetUtcNow() - pending.PendingSince;
        return age < FirstRetry ? FirstRetry : age > longest ? longest : age;
    }

    /// <summary>One delivery attempt: null when the transfer reached its final state, else when to send it again.</summary>
    private async Task<TimeSpan?> DeliverOneAsync(PendingTransfer pending)
    {
        OperationResult credit;
        try
        {
            credit = await _host.SendCreditAsync(pending, CreditId(pending.TransferId));
        }
        catch (Exception exception)
        {
            // Whatever failed (storage, timeout, placement, a silo going away), redelivering under
            // the same credit ID is safe: the destination applies it at most once.
            AccountLog.DeliveryFailed(_logger, exception, _accountId, pending.TransferId, pending.To);
            AlertIfOverdue(pending);
            return RetryDelay(pending, fromFuture: false);
        }

        var verdict = Classify(credit.Status);
        if (verdict == CreditVerdict.Hold)
        {
            AccountLog.CreditUnverifiable(_logger, _accountId, pending.TransferId, pending.To);
            AlertIfOverdue(pending);
            return _maxRetry;
        }

        if (verdict == CreditVerdict.Unrecognized)
        {
            AccountLog.CreditAnswerUnrecognized(_logger, _accountId, pending.TransferId, pending.To, (int)credit.Status);
            AlertIfOverdue(pending);
            return _maxRetry;
        }

        if (verdict == CreditVerdict.Retry)
        {
            AccountLog.CreditDeferred(_logger, _accountId, pending.TransferId, pending.To, credit.Status);
            AlertIfOverdue(pending);
            return RetryDelay(pending, fromFuture: credit.Status == OperationStatus.OperationIdFromFuture);
        }

        var outcome = verdict == CreditVerdict.Credited ? TransferState.Completed : TransferState.Refunded;
        bool finished;
        try
        {
            finished = await _host.FinishAsync(pending, outcome, _time.GetUtcNow());
            _outboxEmptiedByOwnWrite |= finished && _host.CommittedOutbox.Count == 0;
        }
        catch (AccountStorageException exception)
        {
            // The outcome could not be recorded; this activation retires and the reminder retries
            // (the credit, if it was one, replays at the destination).
            AccountLog.DeliveryFailed(_logger, exception, _accountId, pending.TransferId, pending.To);
            return RetryDelay(pending, fromFuture: false);
        }

        if (!finished)
        {
            AlertIfOverdue(pending);
            return RetryDelay(pending, fromFuture: false);
        }

        Finished(pending, outcome);
        if (outcome == TransferState.Completed)
        {
            AccountLog.TransferCompleted(_logger, _accountId, pending.TransferId, pending.To, credit.IsReplay);
        }
        else
        {
            AccountLog.TransferRefunded(_logger, _accountId, pending.TransferId, pending.To, credit.Status);
        }

        return null;
    }

    /// <summary>A transfer's outcome was written (by its delivery or an operator): it counts as pending and overdue no more.</summary>
    private void Finished(PendingTransfer pending, TransferState outcome)
    {
        _overdue.Remove(pending.TransferId);
        ReportPending();
        ReportOverdue();
        AccountMetrics.RecordDelivery(outcome, _time.GetUtcNow() - pending.PendingSince);
        if (outcome == TransferState.Refunded)
        {
            AccountMetrics.RefundedTransfers.Add(1);
        }
    }

    /// <summary>How many pending transfers this account counts in <c>reliablemessaging.transfers.pending</c>: its committed outbox.</summary>
    public int ReportedPending { get; private set; }

    /// <summary>How many overdue transfers this account counts in <c>reliablemessaging.transfers.overdue.current</c>.</summary>
    public int ReportedOverdue { get; private set; }

    /// <summary>The activation ends: its outbox no longer counts as pending or overdue on this silo (the next activation counts it).</summary>
    public void Stop()
    {
        AccountMetrics.AdjustPendingTransfers(-ReportedPending);
        ReportedPending = 0;
        AccountMetrics.AdjustOverdueTransfersNow(-ReportedOverdue);
        ReportedOverdue = 0;
    }

    private void ReportOverdue()
    {
        // Only transfers still in the outbox (one finished by a write this code did not see counts no more).
        _overdue.RemoveWhere(id => FindPending(id) is null);
        AccountMetrics.AdjustOverdueTransfersNow(_overdue.Count - ReportedOverdue);
        ReportedOverdue = _overdue.Count;
    }

    private void ReportPending()
    {
        var pending = _host.CommittedOutbox.Count;
        AccountMetrics.AdjustPendingTransfers(pending - ReportedPending);
        ReportedPending = pending;
    }

    /// <summary>The operator alert: once per transfer and activation, when it is pending longer than the alert age.</summary>
    private void AlertIfOverdue(PendingTransfer pending)
    {
        var age = _time.GetUtcNow() - pending.PendingSince;
        if (age >= _alertAge && _overdue.Add(pending.TransferId))
        {
            AccountLog.TransferOverdue(_logger, _accountId, pending.TransferId, pending.To, pending.Amount, age);
            AccountMetrics.TransferOverdue();
            ReportOverdue();
        }
    }

    private async Task EnsureReminderAsync()
    {
        if (Reminder == DeliveryReminderState.Registered)
        {
            return;
        }

        // Starts that arrive while a registration is on its way share it, and its failure. Each queued
        // a turn of its own before: behind a reminder service that answers slowly (each attempt up to
        // the call's timeout) the turns piled up faster than they ended, and every start of the
        // account waited behind all of them, for minutes.
        if (_registration is not { IsCompleted: false })
        {
            _registration = InTurnAsync(async () =>
            {
                if (Reminder != DeliveryReminderState.Registered)
                {
                    await RegisterAsync();
                }
            });
        }

        await _registration;
    }

    private async Task RegisterAsync()
    {
        // Until it is acknowledged, the row may or may not exist.
        Reminder = DeliveryReminderState.Unknown;
        try
        {
            await _host.RegisterReminderAsync();
        }
        catch (Exception exception) when (ReminderServiceFailure.IsTransient(exception))
        {
            // The reminder service's own "retry later" types (a service still loading its range after
            // a restart) are not among the failures a caller knows to retry.
            throw ReminderServiceFailure.ToStorageException(exception);
        }

        Reminder = DeliveryReminderState.Registered;
    }

    /// <summary>Nothing in the committed outbox and no start that may still commit one.</summary>
    private bool IsIdle => _startsInProgress == 0 && _host.CommittedOutbox.Count == 0 && !_host.IsRetired;

    private async Task RemoveReminderIfIdleAsync()
    {
        // The pass's own outcome write is the check only when nothing delays the removal after it
        // (another reminder change in progress would widen the gap to whatever that takes).
        var checkedByOwnWrite = _outboxEmptiedByOwnWrite && _reminderTurn.IsCompleted;
        await InTurnAsync(async () =>
        {
            if (Reminder == DeliveryReminderState.Absent || !IsIdle)
            {
                return;
            }

            // Only a current activation may remove it: an older one (a paused silo's, a split brain's)
            // sees an empty outbox where the current one has transfers pending, and removing their
            // reminder would leave them to nobody once the current one is gone. A checked write fences
            // it: this pass's own write that emptied the outbox was one; otherwise one more is made.
            try
            {
                if (!checkedByOwnWrite)
                {
                    await _host.ConfirmStateAsync();
                }
            }
            catch (AccountStorageException exception)
            {
                AccountLog.ReminderChangeFailed(_logger, exception, _accountId);
                return;
            }

            if (!IsIdle)
            {
                return;
            }

            // From here on a start registers again (after this removal: changes run in turn).
            Reminder = DeliveryReminderState.Unknown;
            try
            {
                await _host.UnregisterReminderAsync();
            }
            catch (Exception exception) when (exception is OrleansException or TimeoutException or AccountStorageException)
            {
                // The row may or may not be gone: the state stays unknown, so the next start
                // registers again; a leftover reminder only fires, finds nothing, and is removed then.
                AccountLog.ReminderChangeFailed(_logger, exception, _accountId);
                return;
            }

            Reminder = DeliveryReminderState.Absent;

            // Re-check: a start that began during the removal (it waits for its turn) or anything
            // that reached the outbox meanwhile needs the reminder back.
            if (!IsIdle)
            {
                try
                {
                    await RegisterAsync();
                }
                catch (Exception exception) when (exception is OrleansException or TimeoutException or AccountStorageException)
                {
                    // Still unknown: the start waiting for its turn registers it before its debit.
                    AccountLog.ReminderChangeFailed(_logger, exception, _accountId);
                }
            }
        });
    }

    /// <summary>Runs reminder changes one after another, whatever the previous one's outcome.</summary>
    private async Task InTurnAsync(Func<Task> change)
    {
        var previous = _reminderTurn;
        var turn = new TaskCompletionSource();
        _reminderTurn = turn.Task;
        try
        {
            await previous;
            await change();
        }
        finally
        {
            turn.SetResult();
        }
    }
}
