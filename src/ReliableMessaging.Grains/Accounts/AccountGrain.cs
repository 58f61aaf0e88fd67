using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Orchestrates <see cref="AccountLedger"/> with persistence. Not reentrant: calls run one at a time,
/// so a duplicate that arrives while its original is being written waits and is then answered from
/// the record. An outcome is returned only after the write that contains it succeeded.
/// </summary>
public sealed class AccountGrain(
    [PersistentState(AccountStorage.StateName, AccountStorage.ProviderName)] IPersistentState<AccountState> state,
    AccountLedger ledger,
    TimeProvider time,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain
{
    private string AccountId => this.GetPrimaryKeyString();

    public async Task<OpenAccountResult> Open()
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return new(OpenAccountStatus.InvalidAccountId, 0, 0);
        }

        if (state.State.IsOpen)
        {
            return new(OpenAccountStatus.AlreadyOpen, state.State.Balance, state.State.Version);
        }

        var next = state.State.Clone();
        AccountLedger.Open(next);
        await CommitAsync(next);
        AccountLog.Opened(logger, AccountId);
        return new(OpenAccountStatus.Opened, next.Balance, next.Version);
    }

    public Task<OperationResult> Deposit(Guid operationId, long amount) =>
        ExecuteAsync(OperationKind.Deposit, operationId, amount);

    public Task<OperationResult> Withdraw(Guid operationId, long amount) =>
        ExecuteAsync(OperationKind.Withdrawal, operationId, amount);

    [ReadOnly]
    public Task<AccountSnapshot> GetSnapshot()
    {
        var current = state.State;
        var snapshot = !AccountIdFormat.IsValid(AccountId) ? new AccountSnapshot(AccountStatus.InvalidAccountId, 0, 0)
            : current.IsOpen ? new AccountSnapshot(AccountStatus.Open, current.Balance, current.Version)
            : new AccountSnapshot(AccountStatus.NotFound, 0, 0);
        return Task.FromResult(snapshot);
    }

    [ReadOnly]
    public Task<OperationLookupResult> GetOperation(Guid operationId) =>
        Task.FromResult(AccountIdFormat.IsValid(AccountId)
            ? ledger.Lookup(state.State, operationId, time.GetUtcNow())
            : new OperationLookupResult(OperationLookupStatus.InvalidAccountId, null));

    private async Task<OperationResult> ExecuteAsync(OperationKind kind, Guid operationId, long amount)
    {
        if (!AccountIdFormat.IsValid(AccountId))
        {
            return OperationResult.Refused(operationId, kind, amount, OperationStatus.InvalidAccountId);
        }

        var now = time.GetUtcNow();

        // Replays and refusals are answered from the committed state without copying it.
        if (ledger.TryAnswer(state.State, kind, operationId, amount, now, out var answer))
        {
            LogAnswer(answer);
            return answer;
        }

        var next = state.State.Clone();
        var result = ledger.Process(next, kind, operationId, amount, now);
        await CommitAsync(next);
        AccountLog.Executed(logger, AccountId, kind, operationId, amount, result.Status, result.BalanceAfter);
        return result;
    }

    /// <summary>
    /// Persists <paramref name="next"/> in one write. On any failure the last persisted state is put
    /// back (so nothing unpersisted is ever served), the activation is retired (so the next call
    /// re-reads the row, which may hold a write whose acknowledgement was lost), and the caller gets
    /// an <see cref="AccountStorageException"/>: the operation was not acknowledged.
    /// </summary>
    private async Task CommitAsync(AccountState next)
    {
        var committed = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception exception)
        {
            state.State = committed;
            DeactivateOnIdle();
            if (exception is InconsistentStateException)
            {
                AccountLog.WriteConflict(logger, exception, AccountId);
                throw new AccountStorageException(
                    $"Account '{AccountId}' was changed by another activation; the operation was not applied. Retry with the same operation ID.",
                    isConflict: true);
            }

            AccountLog.WriteFailed(logger, exception, AccountId);
            throw new AccountStorageException(
                $"Account '{AccountId}' could not be saved ({exception.GetType().Name}); the operation was not acknowledged. Retry with the same operation ID.");
        }
    }

    private void LogAnswer(OperationResult answer)
    {
        switch (answer.Status)
        {
            case OperationStatus.Succeeded or OperationStatus.InsufficientFunds:
                AccountLog.Replayed(logger, AccountId, answer.Kind, answer.OperationId, answer.Status);
                break;
            case OperationStatus.OperationIdReused:
                AccountLog.IdReused(logger, AccountId, answer.OperationId, answer.Kind, answer.Amount);
                break;
            case OperationStatus.OperationExpired or OperationStatus.OperationIdFromFuture:
                AccountLog.NotAdmitted(logger, AccountId, answer.OperationId, answer.Status);
                break;
            default:
                AccountLog.Refused(logger, AccountId, answer.Kind, answer.OperationId, answer.Amount, answer.Status);
                break;
        }
    }
}
