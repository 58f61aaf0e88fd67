using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Transfers: the source account is the outbox. The debit and the pending transfer commit in one
/// write; <see cref="TransferDelivery"/> then delivers the credit (backoff, timer, reminder, alert)
/// and this part of the grain only wires it to Orleans: the destination grain, the pipeline, the
/// reminder and the timer.
/// </summary>
public sealed partial class AccountGrain : ITransferDeliveryHost
{
    private const string DeliveryReminder = "transfer-delivery";
    private TransferDelivery? _delivery;
    private IGrainTimer? _retryTimer;

    private TransferDelivery Delivery => _delivery ??= new TransferDelivery(this, options.Value, time, logger, AccountId);

    IReadOnlyList<PendingTransfer> ITransferDeliveryHost.CommittedOutbox => Pipeline.Committed.PendingTransfers;

    bool ITransferDeliveryHost.IsRetired => Pipeline.IsFaulted;

    /// <summary>Transfers left pending by a previous activation (a crash, a failed write) resume at once.</summary>
    private void ResumeTransfers() => Delivery.Resume();

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

        // A source that was never opened has nothing to debit: refused before the delivery's reminder
        // is registered, so starts from accounts that do not exist leave no reminder and no row behind.
        // (From committed state: an Open still in progress counts as ordered after this start.)
        var committed = Pipeline.Committed;
        ThrowIfReloading();
        if (!committed.IsOpen)
        {
            return TransferResult.Refused(transferId, AccountId, destination, amount, OperationStatus.AccountNotFound);
        }

        var result = await Delivery.StartAsync(
            transferId,
            () => Pipeline.ExecuteAsync(new OperationRequest(OperationKind.TransferOut, transferId, amount, destination, IssuedBy), time.GetUtcNow()));
        Log(result);
        if (!result.IsRecorded)
        {
            return TransferResult.Refused(transferId, AccountId, destination, amount, result.Status);
        }

        if (result is { Status: OperationStatus.Succeeded, IsReplay: false })
        {
            AccountLog.TransferStarted(logger, AccountId, transferId, destination, amount);
        }

        // Report the transfer as it stands now (a replay may find it completed or refunded, in the
        // window or in the journal).
        var current = await Pipeline.LookupTransferAsync(AccountId, transferId, time.GetUtcNow());
        return current switch
        {
            { Transfer: { } transfer } => transfer with { IsReplay = result.IsReplay },

            // A replay from the journal near the retention's floor: a prune took the record of how the
            // transfer ended (its batches go in no order), or the debit itself, since the replay. How it
            // ended can no longer be told, as a look-up says: past the retention, never an error.
            { Status: TransferLookupStatus.Expired } when result.IsReplay =>
                TransferResult.Refused(transferId, AccountId, destination, amount, OperationStatus.OperationExpired),
            _ => throw new InvalidOperationException($"Transfer {transferId} was recorded on '{AccountId}' but cannot be found ({current.Status})."),
        };
    }

    public Task<OperationResult> ReceiveTransfer(Guid creditId, string source, long amount) =>
        AccountIdFormat.IsValid(source)
            ? ExecuteAsync(new OperationRequest(OperationKind.TransferIn, creditId, amount, source))
            : Task.FromResult(OperationResult.Refused(creditId, OperationKind.TransferIn, amount, OperationStatus.InvalidAccountId));

    public async Task<TransferLookupResult> GetTransfer(Guid transferId)
    {
        // A debit of this transfer being started here may still commit: wait for it rather than
        // answer "unknown" for a transfer that is being accepted.
        await Delivery.WhenStartedAsync(transferId);
        if (Pipeline.IsFaulted)
        {
            throw new AccountStorageException($"Account '{AccountId}' is reloading after a failed write. Retry.");
        }

        return await Pipeline.LookupTransferAsync(AccountId, transferId, time.GetUtcNow());
    }

    public async Task<TransferLookupResult> GetTransferFenced(Guid transferId)
    {
        var lookup = await GetTransfer(transferId);
        if (lookup.Status != TransferLookupStatus.Unknown)
        {
            return lookup;
        }

        // A start sent to a silo that was paused (and declared dead meanwhile) can still run there
        // when it wakes, on an activation that loaded this row earlier; Orleans restarts a message's
        // time-to-live when it reads it. A write here changes the row's ETag, so that activation's
        // debit fails its write. A start that reached this activation meanwhile is found by the
        // look-up after the write. Fenced even when this activation sees the account unopened: it may
        // itself be an older one that loaded the row before the account was opened elsewhere, and its
        // write then fails on the ETag instead of answering "unknown". Once per start of a transfer the
        // transfer grain has recorded, never a row per guessed ID.
        await Pipeline.ConfirmAsync();
        return await GetTransfer(transferId);
    }

    public async Task<HeldTransferResolution> ResolveHeldTransfer(Guid transferId, TransferState outcome, string reason)
    {
        // Who resolved it (the caller's identity: the command's operator) and why go into the
        // resolution's journal records, so the statement and the journal say it was an operator's word.
        if (!OperatorResolution.TryAttribute(IssuedBy, reason, out var attribution))
        {
            return new HeldTransferResolution(HeldTransferResolutionStatus.InvalidReason, null, null);
        }

        var (status, answer) = await Delivery.ResolveHeldAsync(transferId, outcome, attribution);
        if (status == HeldTransferResolutionStatus.Resolved)
        {
            AccountLog.HeldTransferResolved(logger, AccountId, transferId, outcome, attribution);
        }

        var current = await Pipeline.LookupTransferAsync(AccountId, transferId, time.GetUtcNow());
        return new HeldTransferResolution(status, answer, current.Transfer);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Delivery.OnReminder();
        return Task.CompletedTask;
    }

    Task<OperationResult> ITransferDeliveryHost.SendCreditAsync(PendingTransfer transfer, Guid creditId) =>
        GrainFactory.GetGrain<IAccountGrain>(transfer.To).ReceiveTransfer(creditId, AccountId, transfer.Amount);

    Task<bool> ITransferDeliveryHost.FinishAsync(PendingTransfer transfer, TransferState outcome, DateTimeOffset now, string? issuedBy) =>
        outcome switch
        {
            TransferState.Completed => Pipeline.ApplyAsync(s => rules.CompleteTransfer(s, transfer.TransferId, now, issuedBy)),
            TransferState.Refunded => Pipeline.ApplyAsync(s => rules.RefundTransfer(s, transfer.TransferId, now, issuedBy)),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A transfer finishes completed or refunded."),
        };

    async Task ITransferDeliveryHost.RegisterReminderAsync()
    {
        var period = options.Value.TransferRetryPeriod;
        await this.RegisterOrUpdateReminder(DeliveryReminder, period, period);
    }

    async Task ITransferDeliveryHost.UnregisterReminderAsync()
    {
        if (await this.GetReminder(DeliveryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    Task ITransferDeliveryHost.ConfirmStateAsync() => Pipeline.ConfirmAsync();

    void ITransferDeliveryHost.ScheduleRetry(TimeSpan dueTime)
    {
        _retryTimer?.Dispose();
        _retryTimer = this.RegisterGrainTimer(
            static (grain, _) =>
            {
                grain.Delivery.OnTimer();
                return Task.CompletedTask;
            },
            this,
            new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }
}
