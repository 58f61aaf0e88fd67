namespace ReliableMessaging.Api.Accounts;

/// <summary>The body of a deposit or withdrawal: <c>{"amount": 1250}</c> in minor units.</summary>
public sealed record AmountRequest(long Amount);
