namespace ReliableMessaging.Client;

/// <summary>An account's committed balance (minor units) and version (rises with every committed change).</summary>
public sealed record AccountInfo(string AccountId, long Balance, long Version);
