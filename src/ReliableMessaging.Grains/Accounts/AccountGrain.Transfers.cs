using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Transfers: the source account is the outbox. The debit and the pending transfer commit in one
/// write; the credit is then delivered to the destination under an ID derived from the transfer ID,
/// so the destination's own deduplication makes every redelivery harmless. A durable reminder
/// resumes delivery after crashes; within an activation retries run sooner, with backoff.
/// </summary>
public sealed partial class AccountGrain
{
    private const string DeliveryReminder = "transfer-delivery";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private Task _reminderChange = Task.CompletedTask;
    private bool _reminderRegistered;
    private int _startingTransfers;
    private bool _delivering;
    private bool _deliverAgain;
    private TimeSpan _backoff = FirstRetry;
    private IGrainTimer? _retryTimer;

    /// <summary>Transfers left pending by a previous activation (a crash, a failed write) resume at once.</summary>
    private void ResumeTransfers()
    {
        if (state.State.PendingTransfers.Count > 0)
        {
            ScheduleRetry(FirstRetry);
        }
    }

    public async Task<TransferResult> StartTransfer(Guid transferId, string destination, long amount)
    {
        if (!AccountIdFormat.IsValid(AccountId) || !AccountIdFormat.IsValid(destination))
        {
            return TransferResult.Refused(transferId, AccountId, destination ?? string.Empty, amount, OperationStatus.InvalidAccountId);
        }

        if (string.Equals(destination, AccountId, StringComparison.Ordinal))
        {
            return TransferResult.Refused(transferId, AccountId, destination, amount, OperationStatus.TransferToSelf);
        }

        _startingTransfers++;
        try
        {
            // The reminder exists before any debit it must deliver can be committed.
            await EnsureDeliveryReminderAsync();
            var result = await Pipeline.ExecuteAsync(new OperationRequest(OperationKind.TransferOut, transferId, amount, destination, IssuedBy), time.GetUtcNow());
            Log(result);
            if (!result.IsRecorded)
            {
                return TransferResult.Refused(transferId, AccountId, destination, amount, result.Status);
            }

            if (result is { Status: OperationStatus.Succeeded, IsReplay: false })
            {
                AccountLog.TransferStarted(logger, AccountId, transferId, destination, amount);
                ScheduleDelivery();
            }

            // Report the transfer as it stands now (a replay may find it completed or refunded).
            return OperationWindow.Find(Pipeline.Committed, transferId) is { } record
                ? AccountLedger.ToTransferResult(record, AccountId, result.IsReplay)
                : TransferResult.Refused(transferId, AccountId, destination, amount, OperationStatus.OperationExpired);
        }
        finally
        {
            _startingTransfers--;
        }
    }

    public Task<OperationResult> ReceiveTransfer(Guid creditId, string source, long amount) =>
        AccountIdFormat.IsValid(source)
            ? ExecuteAsync(new OperationRequest(OperationKind.TransferIn, creditId, amount, source))
            : Task.FromResult(OperationResult.Refused(creditId, OperationKind.TransferIn, amount, OperationStatus.InvalidAccountId));

    public Task<TransferLookupResult> GetTransfer(Guid transferId)
    {
        if (Pipeline.IsFaulted)
        {
            throw new AccountStorageException($"Account '{AccountId}' is reloading after a failed write. Retry.");
        }

        return Pipeline.LookupTransferAsync(AccountId, transferId, time.GetUtcNow());
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        ScheduleDelivery();
        return Task.CompletedTask;
    }

    private void ScheduleDelivery()
    {
        if (_delivering)
        {
            _deliverAgain = true;
            return;
        }

        _ = DeliverAsync();
    }

    /// <summary>Delivers every committed pending transfer; never throws (failures are retried).</summary>
    private async Task DeliverAsync()
    {
        _delivering = true;
        var allDelivered = true;
        try
        {
            do
            {
                _deliverAgain = false;
                foreach (var pending in Pipeline.Committed.PendingTransfers.ToArray())
                {
                    if (Pipeline.IsFaulted)
                    {
                        return;
                    }

                    allDelivered &= await DeliverOneAsync(pending);
                }
            }
            while (_deliverAgain);
        }
        finally
        {
            _delivering = false;
        }

        if (allDelivered && Pipeline.Committed.PendingTransfers.Count == 0)
        {
            _backoff = FirstRetry;
            await RemoveDeliveryReminderIfIdleAsync();
        }
        else if (!Pipeline.IsFaulted)
        {
            ScheduleRetry(_backoff);
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, options.Value.TransferRetryPeriod.Ticks));
        }
    }

    /// <summary>One delivery attempt; true when the transfer reached a final state.</summary>
    private async Task<bool> DeliverOneAsync(PendingTransfer pending)
    {
        var creditId = Uuid7.Derive(pending.TransferId, AccountLedger.CreditPurpose);
        OperationResult credit;
        try
        {
            credit = await GrainFactory.GetGrain<IAccountGrain>(pending.To).ReceiveTransfer(creditId, AccountId, pending.Amount);
        }
        catch (Exception exception)
        {
            // Whatever failed (storage, timeout, placement, a silo going away), redelivering under
            // the same derived ID is safe: the destination credits it at most once.
            AccountLog.DeliveryFailed(logger, exception, AccountId, pending.TransferId, pending.To);
            return false;
        }

        var now = time.GetUtcNow();
        try
        {
            switch (credit.Status)
            {
                case OperationStatus.Succeeded:
                    await Pipeline.ApplyAsync(s => ledger.CompleteTransfer(s, pending.TransferId, now));
                    AccountLog.TransferCompleted(logger, AccountId, pending.TransferId, pending.To, credit.IsReplay);
                    return true;
                case OperationStatus.AccountNotFound or OperationStatus.InvalidAccountId or OperationStatus.InvalidAmount:
                    await Pipeline.ApplyAsync(s => ledger.RefundTransfer(s, pending.TransferId, now));
                    AccountLog.TransferRefunded(logger, AccountId, pending.TransferId, pending.To, credit.Status);
                    return true;
                default:
                    // Expired or reused at the destination: whether it was credited can no longer be
                    // verified. Re-sending under a fresh ID could credit twice: stop and report.
                    await Pipeline.ApplyAsync(s => ledger.MarkTransferStuck(s, pending.TransferId, now));
                    AccountLog.TransferStuck(logger, AccountId, pending.TransferId, pending.To, credit.Status);
                    AccountMetrics.StuckTransfers.Add(1);
                    return true;
            }
        }
        catch (AccountStorageException exception)
        {
            // The outcome could not be recorded; this activation retires and the reminder retries.
            AccountLog.DeliveryFailed(logger, exception, AccountId, pending.TransferId, pending.To);
            return false;
        }
    }

    private void ScheduleRetry(TimeSpan dueTime)
    {
        _retryTimer?.Dispose();
        _retryTimer = this.RegisterGrainTimer(
            static (grain, _) =>
            {
                grain.ScheduleDelivery();
                return Task.CompletedTask;
            },
            this,
            new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private async Task EnsureDeliveryReminderAsync()
    {
        if (_reminderRegistered)
        {
            return;
        }

        await SerializeReminderChange(async () =>
        {
            if (!_reminderRegistered)
            {
                var period = options.Value.TransferRetryPeriod;
                await this.RegisterOrUpdateReminder(DeliveryReminder, period, period);
                _reminderRegistered = true;
            }
        });
    }

    private async Task RemoveDeliveryReminderIfIdleAsync()
    {
        try
        {
            await SerializeReminderChange(async () =>
            {
                // A transfer being started keeps the reminder; one started after this removal re-adds it.
                if (_startingTransfers == 0 && Pipeline.Committed.PendingTransfers.Count == 0 && !Pipeline.IsFaulted)
                {
                    if (await this.GetReminder(DeliveryReminder) is { } reminder)
                    {
                        await this.UnregisterReminder(reminder);
                    }

                    _reminderRegistered = false;
                }
            });
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException)
        {
            // Harmless: the reminder fires, finds nothing pending, and is removed then.
            AccountLog.DeliveryFailed(logger, exception, AccountId, Guid.Empty, string.Empty);
        }
    }

    /// <summary>Runs reminder changes one after another (the grain is reentrant), whatever the previous one's outcome.</summary>
    private Task SerializeReminderChange(Func<Task> change)
    {
        var previous = _reminderChange;
        var next = RunAfterAsync(previous, change);
        _reminderChange = next;
        return next;

        static async Task RunAfterAsync(Task previous, Func<Task> change)
        {
            await previous.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);
            await change();
        }
    }
}
