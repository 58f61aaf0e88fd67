namespace ReliableMessaging.Api.Transfers;

/// <summary>The body of <c>POST /transfers</c>: <c>{"from": "alice", "to": "bob", "amount": 1250}</c>.</summary>
public sealed record TransferRequest(string From, string To, long Amount);
