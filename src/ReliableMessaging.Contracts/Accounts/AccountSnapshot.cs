namespace ReliableMessaging.Contracts.Accounts;

/// <summary>An account's committed balance and version.</summary>
/// <param name="Status">Whether the account exists.</param>
/// <param name="Balance">The committed balance in minor units (0 when not found).</param>
/// <param name="Version">Increases by one with every committed change to the account (0 when not found).</param>
[GenerateSerializer, Immutable, Alias("rm.AccountSnapshot")]
public sealed record AccountSnapshot(
    [property: Id(0)] AccountStatus Status,
    [property: Id(1)] long Balance,
    [property: Id(2)] long Version);
