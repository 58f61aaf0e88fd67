using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Storage;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Orchestrates <see cref="AccountLedger"/> and <see cref="AccountCommitPipeline"/> with persistence.
/// Reentrant so that operations arriving while a state write is in flight are decided against the
/// pending state and committed together in the next write (group commit); the pipeline decides
/// each operation without awaiting, so interleaving never splits a decision. An outcome is returned
/// only after the write that contains it succeeded; reads only see persisted state.
/// </summary>
[Reentrant]
public sealed partial class AccountGrain(
    [PersistentState(AccountStorage.StateName, AccountStorage.ProviderName)] IPersistentState<AccountState> state,
    AccountLedger ledger,
    TimeProvider time,
    IOptions<AccountOptions> options,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IRemindable
{
    private AccountCommitPipeline? _pipeline;

    private string AccountId => this.GetPrimaryKeyString();

    private AccountCommitPipeline Pipeline =>
        _pipeline ??= new AccountCommitPipeline(ledger, state.State, PersistAsync, _ => DeactivateOnIdle());

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
        ExecuteAsync(OperationKind.Deposit, operationId, amount);

    public Task<OperationResult> Withdraw(Guid operationId, long amount) =>
        ExecuteAsync(OperationKind.Withdrawal, operationId, amount);

    public Task<AccountSnapshot> GetSnapshot()
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return Task.FromResult(new AccountSnapshot(AccountStatus.InvalidAccountId, 0, 0));
        }

        var committed = Pipeline.Committed;
        if (Pipeline.IsFaulted)
        {
            throw new AccountStorageException($"Account '{AccountId}' is reloading after a failed write. Retry.");
        }

        return Task.FromResult(committed.IsOpen
            ? new AccountSnapshot(AccountStatus.Open, committed.Balance, committed.Version)
            : new AccountSnapshot(AccountStatus.NotFound, 0, 0));
    }

    public Task<OperationLookupResult> GetOperation(Guid operationId) =>
        AccountIdFormat.IsValid(AccountId)
            ? Pipeline.LookupAsync(operationId, time.GetUtcNow())
            : Task.FromResult(new OperationLookupResult(OperationLookupStatus.InvalidAccountId, null));

    private async Task<OperationResult> ExecuteAsync(OperationKind kind, Guid operationId, long amount, string? counterparty = null)
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return OperationResult.Refused(operationId, kind, amount, OperationStatus.InvalidAccountId);
        }

        var result = await Pipeline.ExecuteAsync(kind, operationId, amount, time.GetUtcNow(), counterparty);
        Log(result);
        return result;
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
            throw new AccountStorageException(
                $"Account '{AccountId}' could not be saved ({AccountStorageException.Find(exception)?.Message ?? exception.GetType().Name}); the operation was not acknowledged. Retry with the same operation ID.");
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
