namespace ReliableMessaging.Contracts.Accounts;

/// <summary>The answer to a look-up of one operation ID.</summary>
[GenerateSerializer, Immutable, Alias("rm.OperationLookupResult")]
public sealed record OperationLookupResult(
    [property: Id(0)] OperationLookupStatus Status,
    [property: Id(1)] OperationResult? Operation,
    [property: Id(2)] string? IssuedBy = null);
