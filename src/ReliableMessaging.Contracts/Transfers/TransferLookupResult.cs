namespace ReliableMessaging.Contracts.Transfers;

/// <summary>The answer to a look-up of one transfer.</summary>
[GenerateSerializer, Immutable, Alias("rm.TransferLookupResult")]
public sealed record TransferLookupResult(
    [property: Id(0)] TransferLookupStatus Status,
    [property: Id(1)] TransferResult? Transfer);
