namespace ReliableMessaging.Atm.Bank;

/// <summary>The recorded outcome of an operation, as the operations endpoint reports it.</summary>
/// <param name="Kind">Found, not found, expired, or the lookup failed.</param>
/// <param name="Status"><c>succeeded</c> or <c>insufficient-funds</c> when found.</param>
/// <param name="OperationKind"><c>deposit</c> or <c>withdrawal</c> when found.</param>
/// <param name="Amount">The recorded amount when found.</param>
/// <param name="BalanceAfter">The recorded balance after it when found.</param>
/// <param name="Detail">What went wrong, for reports.</param>
public sealed record OperationLookup(LookupKind Kind, string? Status, string? OperationKind, long? Amount, long? BalanceAfter, string Detail)
{
    public bool Succeeded => Kind == LookupKind.Found && Status == "succeeded";
}
