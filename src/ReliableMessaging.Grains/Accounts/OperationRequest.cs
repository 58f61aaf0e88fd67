using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>A state-changing operation as the account receives it.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="OperationId">The caller's UUIDv7: the operation's identity.</param>
/// <param name="Amount">Minor units.</param>
/// <param name="Counterparty">For transfers: the other account (part of the fingerprint).</param>
/// <param name="IssuedBy">Who sent it, when known (recorded, not part of the fingerprint).</param>
public readonly record struct OperationRequest(OperationKind Kind, Guid OperationId, long Amount, string? Counterparty = null, string? IssuedBy = null);
