using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// One executed operation as the account remembers it: its ID, its fingerprint (kind, amount and,
/// for transfers, the other account) and its outcome. Kept compact because the whole window is
/// rewritten on every state write; the time it was recorded is not stored, it is derived from the
/// UUIDv7. Never renumber an <c>[Id]</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("rm.OperationRecord")]
public sealed record OperationRecord(
    [property: Id(0)] Guid OperationId,
    [property: Id(1)] OperationKind Kind,
    [property: Id(2)] long Amount,
    [property: Id(3)] OperationStatus Status,
    [property: Id(4)] long BalanceAfter,
    [property: Id(5)] string? Counterparty = null,
    [property: Id(6)] TransferState? Transfer = null,
    [property: Id(7)] long? FinishedUnixMs = null)
{
    /// <summary>The same operation: same kind, amount and other account.</summary>
    public bool HasFingerprint(OperationKind kind, long amount, string? counterparty) =>
        Kind == kind && Amount == amount && string.Equals(Counterparty, counterparty, StringComparison.Ordinal);

    public OperationResult ToResult(bool isReplay) =>
        new(OperationId, Kind, Amount, Status, BalanceAfter, isReplay);
}
