namespace ReliableMessaging.Audit;

/// <summary>
/// A transfer debited at <paramref name="Source"/> whose end (completed or refunded) is not recorded:
/// money in flight. Not a difference (the books balance with it in transfer), but one pending for long
/// is held for an operator or undeliverable, and the audit lists it.
/// </summary>
public sealed record UnfinishedTransfer(string Source, Guid TransferId, string Destination, long Amount, DateTimeOffset DebitedAt);
