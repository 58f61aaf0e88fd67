using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Contracts.Accounts;

/// <summary>One recorded operation of an account's statement, in the account's order of execution.</summary>
/// <param name="Sequence">The account's own order of execution: 1, 2, 3, ... without gaps.</param>
/// <param name="OperationId">The ID the account recorded it under.</param>
/// <param name="Kind">What it was.</param>
/// <param name="Amount">The amount asked for, in minor units.</param>
/// <param name="Status">Succeeded, or a recorded refusal (insufficient funds).</param>
/// <param name="BalanceAfter">The balance right after it.</param>
/// <param name="Counterparty">For transfer records: the other account.</param>
/// <param name="Transfer">For a finished-transfer event: how it finished.</param>
/// <param name="RecordedAt">When the account recorded it.</param>
/// <param name="IssuedBy">Who issued it (the caller's identity), when known.</param>
[GenerateSerializer, Immutable, Alias("rm.StatementEntry")]
public sealed record StatementEntry(
    [property: Id(0)] long Sequence,
    [property: Id(1)] Guid OperationId,
    [property: Id(2)] OperationKind Kind,
    [property: Id(3)] long Amount,
    [property: Id(4)] OperationStatus Status,
    [property: Id(5)] long BalanceAfter,
    [property: Id(6)] string? Counterparty,
    [property: Id(7)] TransferState? Transfer,
    [property: Id(8)] DateTimeOffset RecordedAt,
    [property: Id(9)] string? IssuedBy)
{
    /// <summary>What it did to the balance: the sum over a complete statement is the balance.</summary>
    public long BalanceEffect => Status != OperationStatus.Succeeded ? 0 : Kind switch
    {
        OperationKind.Deposit or OperationKind.TransferIn or OperationKind.TransferRefund => Amount,
        OperationKind.Withdrawal or OperationKind.TransferOut => -Amount,
        OperationKind.TransferFinished => 0,
    };
}
