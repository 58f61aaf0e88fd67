using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>What <c>GET /transfers/{id}</c> said.</summary>
public sealed record TransferLookup(LookupKind Kind, TransferInfo? Transfer, ApiError? Error, string Detail)
{
    /// <summary>Accepted and still in delivery.</summary>
    public bool IsPending => Transfer?.Status == TransferStatus.Pending;

    /// <summary>Final: a finished transfer, or none was ever accepted.</summary>
    public bool IsFinal => Kind == LookupKind.NotFound || Transfer?.IsFinished == true;
}
