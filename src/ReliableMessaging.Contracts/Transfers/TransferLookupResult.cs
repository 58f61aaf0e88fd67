namespace ReliableMessaging.Contracts.Transfers;

/// <summary>The answer to a look-up of one transfer.</summary>
/// <param name="Status">What is known of it.</param>
/// <param name="Transfer">The transfer, when it was accepted (or refused and recorded).</param>
/// <param name="Source">The source account the ID was received for, when it was received (also without <paramref name="Transfer"/>).</param>
/// <param name="Destination">The destination account the ID was received for, when it was received.</param>
[GenerateSerializer, Immutable, Alias("rm.TransferLookupResult")]
public sealed record TransferLookupResult(
    [property: Id(0)] TransferLookupStatus Status,
    [property: Id(1)] TransferResult? Transfer,
    [property: Id(2)] string? Source = null,
    [property: Id(3)] string? Destination = null);
