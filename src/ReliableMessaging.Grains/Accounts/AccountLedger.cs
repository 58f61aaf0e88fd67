using ReliableMessaging.Contracts;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The exactly-once rules of one account, as plain code over <see cref="AccountState"/>:
/// validation, replay from the record, the reused-ID check, the admission floor, the business
/// rule (no overdraft) and recording the outcome. It never persists anything; the grain does.
/// </summary>
public sealed class AccountLedger
{
    /// <summary>Derives the ID under which a transfer's credit is delivered to the destination.</summary>
    public const string CreditPurpose = "transfer-credit";

    /// <summary>Derives the ID under which a refused transfer is refunded to the source.</summary>
    public const string RefundPurpose = "transfer-refund";

    private readonly OperationWindow _window;
    private readonly long _maxClockSkewMs;
    private readonly int _maxPendingTransfers;

    public AccountLedger(AccountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _window = new OperationWindow(options.OperationWindowSize, options.OperationRetention);
        _maxClockSkewMs = (long)options.MaxClockSkew.TotalMilliseconds;
        _maxPendingTransfers = options.MaxPendingTransfers;
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
    public bool TryAnswer(AccountState state, OperationKind kind, Guid operationId, long amount, DateTimeOffset now, out OperationResult answer, string? counterparty = null)
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
            answer = recorded.HasFingerprint(kind, amount, counterparty)
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

        if (kind == OperationKind.TransferOut && state.PendingTransfers.Count >= _maxPendingTransfers)
        {
            answer = OperationResult.Refused(operationId, kind, amount, OperationStatus.TooManyPendingTransfers);
            return true;
        }

        if (kind is OperationKind.Deposit or OperationKind.TransferIn && !HasRoomFor(state, amount))
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
    public OperationResult Process(AccountState state, OperationKind kind, Guid operationId, long amount, DateTimeOffset now, string? counterparty = null)
    {
        if (TryAnswer(state, kind, operationId, amount, now, out var answer, counterparty))
        {
            return answer;
        }

        var status = OperationStatus.Succeeded;
        TransferState? transfer = null;
        switch (kind)
        {
            case OperationKind.Deposit or OperationKind.TransferIn:
                state.Balance += amount;
                break;
            case OperationKind.Withdrawal or OperationKind.TransferOut when amount > state.Balance:
                status = OperationStatus.InsufficientFunds;
                break;
            case OperationKind.Withdrawal:
                state.Balance -= amount;
                break;
            case OperationKind.TransferOut:
                // The debit and the outbox entry commit in the same write.
                state.Balance -= amount;
                state.PendingTransfers.Add(new PendingTransfer(operationId, counterparty!, amount, now.ToUnixTimeMilliseconds()));
                transfer = TransferState.Pending;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown operation kind.");
        }

        var record = new OperationRecord(operationId, kind, amount, status, state.Balance, counterparty, transfer);
        _window.Record(state, record, now);
        state.Version++;
        return record.ToResult(isReplay: false);
    }

    /// <summary>The destination acknowledged the credit: the transfer is completed. False when it was no longer pending.</summary>
    public static bool CompleteTransfer(AccountState state, Guid transferId, DateTimeOffset now) =>
        FinishTransfer(state, transferId, TransferState.Completed, now) is not null;

    /// <summary>
    /// The destination refused for good: the amount goes back to the source, once, recorded under
    /// an ID derived from the transfer ID. False when the transfer was no longer pending.
    /// </summary>
    public bool RefundTransfer(AccountState state, Guid transferId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var pending = state.PendingTransfers.Find(p => p.TransferId == transferId);
        if (pending is null)
        {
            return false;
        }

        if (state.Balance > long.MaxValue - pending.Amount)
        {
            // Cannot happen: credits leave room for every pending refund (HasRoomFor). Should an old
            // state break that, the transfer stays pending (retried, alerted) rather than overflow.
            return false;
        }

        FinishTransfer(state, transferId, TransferState.Refunded, now);
        state.Balance += pending.Amount;
        var refundId = Uuid7.Derive(transferId, RefundPurpose);
        if (OperationWindow.Find(state, refundId) is null)
        {
            _window.Record(state, new OperationRecord(refundId, OperationKind.TransferRefund, pending.Amount, OperationStatus.Succeeded, state.Balance, pending.To), now);
        }

        return true;
    }

    /// <summary>
    /// Refund room: a credit of <paramref name="amount"/> is admitted only if the balance can still
    /// take back every pending outgoing transfer afterwards, so a refund never overflows.
    /// </summary>
    public static bool HasRoomFor(AccountState state, long amount)
    {
        ArgumentNullException.ThrowIfNull(state);
        var room = long.MaxValue - amount;
        foreach (var pending in state.PendingTransfers)
        {
            room -= pending.Amount;
            if (room < 0)
            {
                return false;
            }
        }

        return state.Balance <= room;
    }

    /// <summary>An outgoing transfer as this (source) account knows it.</summary>
    public TransferLookupResult LookupTransfer(AccountState state, string from, Guid transferId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Uuid7.IsValid(transferId) || !state.IsOpen)
        {
            return new(TransferLookupStatus.Unknown, null);
        }

        if (OperationWindow.Find(state, transferId) is { Kind: OperationKind.TransferOut } record)
        {
            return new(TransferLookupStatus.Found, ToTransferResult(record, from, isReplay: true));
        }

        return Uuid7.GetUnixTimeMilliseconds(transferId) <= _window.AdmissionFloor(state, now)
            ? new(TransferLookupStatus.Expired, null)
            : new(TransferLookupStatus.Unknown, null);
    }

    /// <summary>The transfer view of a recorded transfer debit.</summary>
    public static TransferResult ToTransferResult(OperationRecord record, string from, bool isReplay)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.OperationId, from, record.Counterparty ?? string.Empty, record.Amount, record.Status, record.Transfer,
            Uuid7.GetTimestamp(record.OperationId),
            record.FinishedUnixMs is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null,
            isReplay);
    }

    private static PendingTransfer? FinishTransfer(AccountState state, Guid transferId, TransferState outcome, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        var index = state.PendingTransfers.FindIndex(p => p.TransferId == transferId);
        if (index < 0)
        {
            return null;
        }

        var pending = state.PendingTransfers[index];
        state.PendingTransfers.RemoveAt(index);
        if (OperationWindow.Find(state, transferId) is { } record)
        {
            OperationWindow.Replace(state, record with { Transfer = outcome, FinishedUnixMs = now.ToUnixTimeMilliseconds() });
        }

        state.Version++;
        return pending;
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
