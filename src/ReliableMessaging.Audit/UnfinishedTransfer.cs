namespace ReliableMessaging.Audit;

/// <summary>
/// A transfer debited at <paramref name="Source"/> whose end (completed or refunded) is not recorded:
/// money in flight. Not a difference (the books balance with it in transfer), but one pending for long
/// is held for an operator or undeliverable, and the audit lists it.
/// </summary>
/// <param name="Source">The account debited.</param>
/// <param name="TransferId">The client's transfer ID.</param>
/// <param name="Destination">The account to be credited.</param>
/// <param name="Amount">Minor units.</param>
/// <param name="DebitedAt">When the source recorded the debit (its clock, not the client's ID).</param>
public sealed record UnfinishedTransfer(string Source, Guid TransferId, string Destination, long Amount, DateTimeOffset DebitedAt);
