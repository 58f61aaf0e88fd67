using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// One executed operation as the account remembers it: its ID, its fingerprint (kind and amount)
/// and its outcome. Kept compact because the whole window is rewritten on every state write;
/// the time it was recorded is not stored, it is derived from the UUIDv7.
/// </summary>
[GenerateSerializer, Immutable, Alias("rm.OperationRecord")]
public sealed record OperationRecord(
    [property: Id(0)] Guid OperationId,
    [property: Id(1)] OperationKind Kind,
    [property: Id(2)] long Amount,
    [property: Id(3)] OperationStatus Status,
    [property: Id(4)] long BalanceAfter)
{
    /// <summary>The same operation: same kind and amount.</summary>
    public bool HasFingerprint(OperationKind kind, long amount) => Kind == kind && Amount == amount;

    public OperationResult ToResult(bool isReplay) =>
        new(OperationId, Kind, Amount, Status, BalanceAfter, isReplay);
}
