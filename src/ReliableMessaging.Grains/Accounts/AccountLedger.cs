using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The exactly-once rules of one account, as plain code over <see cref="AccountState"/>:
/// validation, replay from the record, the reused-ID check, the admission floor, the business
/// rule (no overdraft) and recording the outcome. It never persists anything; the grain does.
/// </summary>
public sealed class AccountLedger
{
    private readonly OperationWindow _window;
    private readonly long _maxClockSkewMs;

    public AccountLedger(AccountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _window = new OperationWindow(options.OperationWindowSize, options.OperationRetention);
        _maxClockSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
    }

    /// <summary>Marks the account open. Returns false (and changes nothing) when it already was.</summary>
    public static bool Open(AccountState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.IsOpen)
        {
            return false;
        }

        state.IsOpen = true;
        state.Version++;
        return true;
    }

    /// <summary>
    /// Answers without executing when the rules allow no execution: a replay of a recorded
    /// outcome, or a refusal. Returns false when the operation must be executed. Never mutates.
    /// </summary>
    public bool TryAnswer(AccountState state, OperationKind kind, Guid operationId, long amount, DateTimeOffset now, out OperationResult answer)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Uuid7.IsValid(operationId))
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.InvalidOperationId);
            return true;
        }

        if (amount <= 0)
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.InvalidAmount);
            return true;
        }

        if (!state.IsOpen)
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.AccountNotFound);
            return true;
        }

        // The record is checked before the floor: a recorded outcome is always replayed.
        if (OperationWindow.Find(state, operationId) is { } recorded)
        {
            answer = recorded.HasFingerprint(kind, amount)
                ? recorded.ToResult(isReplay: true)
                : OperationResult.Refused(operationId, kind, amount, OperationStatus.OperationIdReused);
            return true;
        }

        var timestamp = Uuid7.GetUnixTimeMilliseconds(operationId);
        if (timestamp <= _window.AdmissionFloor(state, now) || _window.WouldEvictImmediately(state, operationId, now))
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.OperationExpired);
            return true;
        }

        if (timestamp > now.ToUnixTimeMilliseconds() + _maxClockSkewMs)
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.OperationIdFromFuture);
            return true;
        }

        if (kind == OperationKind.Deposit && state.Balance > long.MaxValue - amount)
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.InvalidAmount);
            return true;
        }

        answer = null!;
        return false;
    }

    /// <summary>
    /// Applies the rules to <paramref name="state"/>: answers from the record or refuses when
    /// <see cref="TryAnswer"/> does; otherwise executes, records the outcome and returns it.
    /// <see cref="OperationResult.IsRecorded"/> with <c>IsReplay == false</c> means the state changed.
    /// </summary>
    public OperationResult Process(AccountState state, OperationKind kind, Guid operationId, long amount, DateTimeOffset now)
    {
        if (TryAnswer(state, kind, operationId, amount, now, out var answer))
        {
            return answer;
        }

        var status = OperationStatus.Succeeded;
        switch (kind)
        {
            case OperationKind.Deposit:
                state.Balance += amount;
                break;
            case OperationKind.Withdrawal when amount > state.Balance:
                status = OperationStatus.InsufficientFunds;
                break;
            case OperationKind.Withdrawal:
                state.Balance -= amount;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown operation kind.");
        }

        var record = new OperationRecord(operationId, kind, amount, status, state.Balance);
        _window.Record(state, record, now);
        state.Version++;
        return record.ToResult(isReplay: false);
    }

    /// <summary>What the account knows of one operation ID.</summary>
    public OperationLookupResult Lookup(AccountState state, Guid operationId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Uuid7.IsValid(operationId))
        {
            return new(OperationLookupStatus.InvalidOperationId, null);
        }

        if (!state.IsOpen)
        {
            return new(OperationLookupStatus.AccountNotFound, null);
        }

        if (OperationWindow.Find(state, operationId) is { } recorded)
        {
            return new(OperationLookupStatus.Found, recorded.ToResult(isReplay: true));
        }

        return Uuid7.GetUnixTimeMilliseconds(operationId) <= _window.AdmissionFloor(state, now)
            ? new(OperationLookupStatus.Expired, null)
            : new(OperationLookupStatus.Unknown, null);
    }
}
