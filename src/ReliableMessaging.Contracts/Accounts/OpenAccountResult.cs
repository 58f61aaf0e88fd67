namespace ReliableMessaging.Contracts.Accounts;

/// <summary>The answer to opening an account, with its state after the call.</summary>
[GenerateSerializer, Immutable, Alias("rm.OpenAccountResult")]
public sealed record OpenAccountResult(
    [property: Id(0)] OpenAccountStatus Status,
    [property: Id(1)] long Balance,
    [property: Id(2)] long Version);
