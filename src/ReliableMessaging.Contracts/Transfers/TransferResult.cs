using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Contracts.Transfers;

/// <summary>A transfer as the source account knows it, or why it was refused.</summary>
/// <param name="TransferId">The client's transfer ID (a UUIDv7).</param>
/// <param name="From">Source account.</param>
/// <param name="To">Destination account.</param>
/// <param name="Amount">Minor units.</param>
/// <param name="Status"><see cref="OperationStatus.Succeeded"/> when accepted (debited); otherwise the refusal.</param>
/// <param name="State">The transfer's state when accepted; null for refusals.</param>
/// <param name="CreatedAt">The transfer ID's timestamp.</param>
/// <param name="FinishedAt">When it completed, was refunded or got stuck.</param>
/// <param name="IsReplay">True when answered from the record of an earlier identical request.</param>
[GenerateSerializer, Immutable, Alias("rm.TransferResult")]
public sealed record TransferResult(
    [property: Id(0)] Guid TransferId,
    [property: Id(1)] string From,
    [property: Id(2)] string To,
    [property: Id(3)] long Amount,
    [property: Id(4)] OperationStatus Status,
    [property: Id(5)] TransferState? State,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? FinishedAt,
    [property: Id(8)] bool IsReplay)
{
    public static TransferResult Refused(Guid transferId, string from, string to, long amount, OperationStatus status) =>
        new(transferId, from, to, amount, status, null, Uuid7.IsValid(transferId) ? Uuid7.GetTimestamp(transferId) : default, null, false);
}
