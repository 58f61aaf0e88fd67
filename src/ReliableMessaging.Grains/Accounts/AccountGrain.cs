using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Grains.Journal;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Orchestrates <see cref="AccountRules"/>, <see cref="AccountCommitPipeline"/> and
/// <see cref="JournalShipper"/> with persistence. Reentrant so that operations arriving while a state
/// write is in flight are decided against the pending state and committed together in the next
/// write (group commit); the pipeline decides each operation without awaiting, so interleaving never
/// splits a decision. An outcome is returned only after the write that contains it succeeded; reads
/// only see persisted state. Committed records are then shipped to the journal, and leave the
/// window only once the journal holds them.
/// </summary>
[Reentrant]
public sealed partial class AccountGrain(
    [PersistentState(AccountStorage.StateName, AccountStorage.ProviderName)] IPersistentState<AccountState> state,
    AccountRules rules,
    IOperationJournal journal,
    TimeProvider time,
    IOptions<AccountOptions> options,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IRemindable
{
    /// <summary>How long <see cref="SyncJournal"/> waits for the journal.</summary>
    private static readonly TimeSpan JournalSyncTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan MaxJournalRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an append may go unanswered, neither confirmed nor failed (queued behind a lock, a hung
    /// connection: the journal's command timeout, 10 s by default), before the bound on unjournaled
    /// records applies as in an outage. Counted from when the append is queued with the silo's journal
    /// writer: appends take milliseconds, and a journal too busy to answer in 5 s is behind, which only
    /// matters to an account already at the bound.
    /// </summary>
    public static readonly TimeSpan JournalStallTimeout = TimeSpan.FromSeconds(5);

    private AccountCommitPipeline? _pipeline;
    private JournalShipper? _shipper;
    private IGrainTimer? _journalRetryTimer;

    private string AccountId => this.GetPrimaryKeyString();

    private static string? IssuedBy => RequestContext.Get(RequestContextKeys.IssuedBy) as string;

    private AccountCommitPipeline Pipeline =>
        _pipeline ??= new AccountCommitPipeline(rules, state.State, PersistAsync, _ => DeactivateOnIdle(), LookUpJournalAsync, Shipper.Committed, JournalRefusal);

    /// <summary>
    /// Records wait in the window while the journal fails, or has left an append unanswered for
    /// <see cref="JournalStallTimeout"/>, up to a bound; past it nothing new executes. Counted on the
    /// pipeline's pending state: operations queued behind a write in flight count too.
    /// </summary>
    private Exception? JournalRefusal(AccountState pending)
    {
        if (pending.LastSequence - Shipper.ConfirmedThrough < rules.MaxUnjournaled)
        {
            return null;
        }

        if (Shipper.LastFailure is { } failure)
        {
            return failure;
        }

        var waited = Shipper.AppendPendingFor;
        return waited >= JournalStallTimeout
            ? new JournalUnavailableException($"The journal has not answered this account's append for {waited.TotalSeconds:0} s.")
            : null;
    }

    private JournalShipper Shipper => _shipper ??= new JournalShipper(
        records => journal.AppendAsync(AccountId, records),
        sequence => Pipeline.MarkJournaled(sequence),
        ScheduleJournalRetry,
        JournalAppendFailed,
        MaxJournalRetry,
        time);

    // The first failure of a run with its exception; the rest of the run without it, at Debug (the journal
    // writer logs each failed insert once for every account in it).
    private void JournalAppendFailed(Exception exception)
    {
        var unconfirmed = state.State.LastSequence - Shipper.ConfirmedThrough;
        if (Shipper.FailuresInARow <= 1)
        {
            AccountLog.JournalAppendFailed(logger, exception, AccountId, unconfirmed);
        }
        else
        {
            AccountLog.JournalAppendStillFailing(logger, AccountId, Shipper.FailuresInARow, unconfirmed, exception.Message);
        }
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A state written before records had sequences gets them now (deterministically, so a crash
        // before the next write numbers them the same way again).
        AccountRules.Upgrade(state.State);

        // Records committed by a previous activation that crashed before the journal confirmed them.
        if (state.State.Unjournaled > 0)
        {
            Shipper.Committed(state.State);
        }

        ResumeTransfers();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation, wherever it runs, counts this outbox as pending again.
        _delivery?.Stop();
        return Task.CompletedTask;
    }

    public async Task<OpenAccountResult> Open()
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return new(OpenAccountStatus.InvalidAccountId, 0, 0);
        }

        var result = await Pipeline.OpenAsync();
        if (result.Status == OpenAccountStatus.Opened)
        {
            AccountLog.Opened(logger, AccountId);
        }

        return result;
    }

    public Task<OperationResult> Deposit(Guid operationId, long amount) =>
        ExecuteAsync(new OperationRequest(OperationKind.Deposit, operationId, amount, IssuedBy: IssuedBy));

    public Task<OperationResult> Withdraw(Guid operationId, long amount) =>
        ExecuteAsync(new OperationRequest(OperationKind.Withdrawal, operationId, amount, IssuedBy: IssuedBy));

    public Task<AccountSnapshot> GetSnapshot()
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return Task.FromResult(new AccountSnapshot(AccountStatus.InvalidAccountId, 0, 0));
        }

        var committed = Pipeline.Committed;
        ThrowIfReloading();
        return Task.FromResult(committed.IsOpen
            ? new AccountSnapshot(AccountStatus.Open, committed.Balance, committed.Version)
            : new AccountSnapshot(AccountStatus.NotFound, 0, 0));
    }

    public Task<OperationLookupResult> GetOperation(Guid operationId) =>
        AccountIdFormat.IsValid(AccountId)
            ? Pipeline.LookupAsync(operationId, time.GetUtcNow())
            : Task.FromResult(new OperationLookupResult(OperationLookupStatus.InvalidAccountId, null));

    public Task<StatementPage> GetStatement(long afterSequence, int limit)
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return Task.FromResult(new StatementPage(AccountStatus.InvalidAccountId, [], null, 0, 0));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, IAccountGrain.MaxStatementPage);
        return Pipeline.StatementAsync(afterSequence, limit, ReadJournalAsync);
    }

    public async Task<JournalCheckpoint> SyncJournal()
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return new(AccountStatus.InvalidAccountId, 0, 0);
        }

        ThrowIfReloading();
        var committed = Pipeline.Committed;
        if (!committed.IsOpen)
        {
            return new(AccountStatus.NotFound, 0, 0);
        }

        Shipper.Committed(committed);
        try
        {
            await Shipper.WaitForAsync(committed.LastSequence).WaitAsync(JournalSyncTimeout);
        }
        catch (TimeoutException)
        {
            throw new AccountStorageException(
                $"The journal of account '{AccountId}' did not confirm its records within {JournalSyncTimeout.TotalSeconds:0} s. Retry.");
        }
        catch (Exception exception) when (exception is not AccountStorageException)
        {
            // Not an outage (rows the database refused, a record missing from the window, a bug): an error
            // for the caller, never "retry", in a type every caller can deserialize (the journal's own
            // exceptions have no codec outside the silo).
            throw new InvalidOperationException($"The journal of account '{AccountId}' could not be brought up to date: {exception.Message}");
        }

        return new(AccountStatus.Open, committed.Balance, committed.LastSequence);
    }

    private async Task<OperationResult> ExecuteAsync(OperationRequest request)
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return OperationResult.Refused(request.OperationId, request.Kind, request.Amount, OperationStatus.InvalidAccountId);
        }

        var result = await Pipeline.ExecuteAsync(request, time.GetUtcNow());
        Log(result);
        return result;
    }

    /// <summary>A journal look-up; an unreachable journal becomes a retryable <see cref="AccountStorageException"/>, never a wrong "unknown".</summary>
    private async Task<JournalLookup> LookUpJournalAsync(IReadOnlyList<Guid> operationIds)
    {
        try
        {
            return await journal.FindAsync(AccountId, operationIds);
        }
        catch (JournalUnavailableException exception)
        {
            AccountLog.JournalReadFailed(logger, exception, AccountId);
            throw new AccountStorageException(
                $"The operation journal of account '{AccountId}' is unavailable; nothing was executed. Retry with the same operation ID.");
        }
    }

    private async Task<JournalPage> ReadJournalAsync(long afterSequence, int limit)
    {
        try
        {
            return await journal.ReadAsync(AccountId, afterSequence, limit);
        }
        catch (JournalUnavailableException exception)
        {
            AccountLog.JournalReadFailed(logger, exception, AccountId);
            throw new AccountStorageException($"The operation journal of account '{AccountId}' is unavailable. Retry.");
        }
    }

    private void ScheduleJournalRetry(TimeSpan dueTime)
    {
        _journalRetryTimer?.Dispose();
        _journalRetryTimer = this.RegisterGrainTimer(
            static (grain, _) =>
            {
                grain.Shipper.Retry();
                return Task.CompletedTask;
            },
            this,
            new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private void ThrowIfReloading()
    {
        if (Pipeline.IsFaulted)
        {
            throw new AccountStorageException($"Account '{AccountId}' is reloading after a failed write. Retry.");
        }
    }

    /// <summary>
    /// Writes one snapshot. On failure the last persisted state is put back (so nothing unpersisted
    /// is ever served), and the error becomes a serializable <see cref="AccountStorageException"/>;
    /// the pipeline then fails the batch and the activation retires (<c>DeactivateOnIdle</c>), so the
    /// next call re-reads the row, which may hold a write whose acknowledgement was lost.
    /// </summary>
    private async Task PersistAsync(AccountState snapshot)
    {
        var committed = state.State;
        state.State = snapshot;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception exception)
        {
            state.State = committed;
            if (exception is InconsistentStateException)
            {
                AccountLog.WriteConflict(logger, exception, AccountId);
                throw new AccountStorageException(
                    $"Account '{AccountId}' was changed by another activation; the operation was not applied. Retry with the same operation ID.",
                    isConflict: true);
            }

            AccountLog.WriteFailed(logger, exception, AccountId);
            if (AccountStorageException.Find(exception) is not { } storage)
            {
                // Not the database (the storage translates its failures): a bug, which a retry would
                // meet again. Its callers get it as it is, never as "storage unavailable, retry".
                throw;
            }

            throw new AccountStorageException(
                $"Account '{AccountId}' could not be saved ({storage.Message}); the operation was not acknowledged. Retry with the same operation ID.");
        }
    }

    private void Log(OperationResult result)
    {
        switch (result)
        {
            case { IsRecorded: true, IsReplay: false }:
                AccountLog.Executed(logger, AccountId, result.Kind, result.OperationId, result.Amount, result.Status, result.BalanceAfter);
                break;
            case { IsRecorded: true, IsReplay: true }:
                AccountLog.Replayed(logger, AccountId, result.Kind, result.OperationId, result.Status);
                break;
            case { Status: OperationStatus.OperationIdReused }:
                AccountLog.IdReused(logger, AccountId, result.OperationId, result.Kind, result.Amount);
                break;
            case { Status: OperationStatus.OperationExpired or OperationStatus.OperationIdFromFuture }:
                AccountLog.NotAdmitted(logger, AccountId, result.OperationId, result.Status);
                break;
            default:
                AccountLog.Refused(logger, AccountId, result.Kind, result.OperationId, result.Amount, result.Status);
                break;
        }
    }
}
