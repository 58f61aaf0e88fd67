namespace ReliableMessaging.Grains.Accounts;

/// <summary>An outgoing transfer debited but not yet acknowledged by its destination (the outbox).</summary>
[GenerateSerializer, Immutable, Alias("rm.PendingTransfer")]
public sealed record PendingTransfer(
    [property: Id(0)] Guid TransferId,
    [property: Id(1)] string To,
    [property: Id(2)] long Amount);
