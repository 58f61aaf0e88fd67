namespace ReliableMessaging.Atm.Bank;

/// <summary>What <c>GET /transfers/{id}</c> said.</summary>
/// <param name="Kind">Found (200), not found (404 transfer-not-found: never accepted), expired, or the lookup failed.</param>
/// <param name="Status">pending, completed, refunded or stuck when found.</param>
/// <param name="From">The recorded source when found.</param>
/// <param name="To">The recorded destination when found.</param>
/// <param name="Amount">The recorded amount when found.</param>
/// <param name="Detail">What went wrong, for reports.</param>
public sealed record TransferLookup(LookupKind Kind, string? Status, string? From, string? To, long? Amount, string Detail)
{
    public bool IsPending => Kind == LookupKind.Found && Status == "pending";

    /// <summary>Final: a terminal status, or never accepted.</summary>
    public bool IsFinal => Kind == LookupKind.NotFound || (Kind == LookupKind.Found && Status != "pending");
}
