namespace ReliableMessaging.Api.Accounts;

/// <summary>An account's committed state.</summary>
public sealed record AccountResponse(string AccountId, long Balance, long Version);
