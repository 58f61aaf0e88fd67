using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Contracts.Transfers;

/// <summary>The answer to an operator's resolution of a held transfer.</summary>
/// <param name="Status">What became of it.</param>
/// <param name="DestinationAnswer">The destination's answer to the credit when asked for this resolution, when it was asked.</param>
/// <param name="Transfer">The transfer as it stands afterwards, when this account knows it.</param>
[GenerateSerializer, Immutable, Alias("rm.HeldTransferResolution")]
public sealed record HeldTransferResolution(
    [property: Id(0)] HeldTransferResolutionStatus Status,
    [property: Id(1)] OperationStatus? DestinationAnswer,
    [property: Id(2)] TransferResult? Transfer);
