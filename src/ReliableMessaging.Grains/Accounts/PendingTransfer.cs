using ReliableMessaging.Contracts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>An outgoing transfer debited but not yet acknowledged by its destination (the outbox).</summary>
/// <param name="TransferId">The transfer ID (also the debit's operation ID).</param>
/// <param name="To">The destination account.</param>
/// <param name="Amount">Minor units.</param>
/// <param name="DebitedUnixMs">When the debit was decided (Unix ms); 0 in entries written before it was kept.</param>
[GenerateSerializer, Immutable, Alias("rm.PendingTransfer")]
public sealed record PendingTransfer(
    [property: Id(0)] Guid TransferId,
    [property: Id(1)] string To,
    [property: Id(2)] long Amount,
    [property: Id(3)] long DebitedUnixMs = 0)
{
    /// <summary>Since when the money has been in the outbox (the transfer ID's timestamp for older entries).</summary>
    public DateTimeOffset PendingSince =>
        DebitedUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(DebitedUnixMs) : Uuid7.GetTimestamp(TransferId);
}
