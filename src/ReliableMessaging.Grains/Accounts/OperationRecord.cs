using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// One executed operation as the account remembers it: its ID, its fingerprint (kind, amount and,
/// for transfers, the other account), its outcome, and its place in the account's history. Kept
/// compact because the whole window is rewritten on every state write. The same record is appended
/// to the journal. Never renumber an <c>[Id]</c>.
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
    /// <summary>The account's order of execution (1, 2, 3, ...); 0 only in states written before the journal existed.</summary>
    [Id(8)]
    public long Sequence { get; init; }

    /// <summary>When the account recorded it (Unix ms).</summary>
    [Id(9)]
    public long RecordedUnixMs { get; init; }

    /// <summary>Who issued it (the caller's identity), when known.</summary>
    [Id(10)]
    public string? IssuedBy { get; init; }

    /// <summary>The same operation: same kind, amount and other account.</summary>
    public bool HasFingerprint(OperationKind kind, long amount, string? counterparty) =>
        Kind == kind && Amount == amount && string.Equals(Counterparty, counterparty, StringComparison.Ordinal);

    public OperationResult ToResult(bool isReplay) =>
        new(OperationId, Kind, Amount, Status, BalanceAfter, isReplay);

    public StatementEntry ToStatementEntry() =>
        new(Sequence, OperationId, Kind, Amount, Status, BalanceAfter, Counterparty,
            Kind == OperationKind.TransferFinished ? Transfer : null,
            DateTimeOffset.FromUnixTimeMilliseconds(RecordedUnixMs), IssuedBy);
}
