namespace ReliableMessaging.Contracts.Accounts;

/// <summary>The answer to a deposit or withdrawal, or to a look-up of a recorded one.</summary>
/// <param name="OperationId">The caller's operation ID.</param>
/// <param name="Kind">Deposit or withdrawal.</param>
/// <param name="Amount">The amount asked for, in minor units.</param>
/// <param name="Status">The recorded outcome, or the reason it was refused.</param>
/// <param name="BalanceAfter">The balance right after the operation for recorded outcomes; null for refusals.</param>
/// <param name="IsReplay">True when this answer comes from the account's record of an earlier execution.</param>
[GenerateSerializer, Immutable, Alias("rm.OperationResult")]
public sealed record OperationResult(
    [property: Id(0)] Guid OperationId,
    [property: Id(1)] OperationKind Kind,
    [property: Id(2)] long Amount,
    [property: Id(3)] OperationStatus Status,
    [property: Id(4)] long? BalanceAfter,
    [property: Id(5)] bool IsReplay)
{
    /// <summary>True for outcomes that the account recorded and will replay.</summary>
    public bool IsRecorded => Status is OperationStatus.Succeeded or OperationStatus.InsufficientFunds;

    /// <summary>A refusal that changed and recorded nothing.</summary>
    public static OperationResult Refused(Guid operationId, OperationKind kind, long amount, OperationStatus status) =>
        new(operationId, kind, amount, status, BalanceAfter: null, IsReplay: false);
}
