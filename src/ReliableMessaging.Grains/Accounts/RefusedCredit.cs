using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// A transfer's credit this account refused for good (its source refunds on that answer): kept so that
/// a later delivery of the same credit, from an older activation of the source that still holds the
/// transfer, gets the same refusal instead of being applied after the refund.
/// </summary>
[GenerateSerializer, Immutable, Alias("rm.RefusedCredit")]
public sealed record RefusedCredit(
    [property: Id(0)] Guid CreditId,
    [property: Id(1)] OperationStatus Status,
    [property: Id(2)] long RefusedUnixMs);
