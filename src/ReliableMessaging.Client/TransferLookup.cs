using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>What <c>GET /transfers/{id}</c> said.</summary>
public sealed record TransferLookup(LookupKind Kind, TransferInfo? Transfer, ApiError? Error, string Detail)
{
    /// <summary>Accepted and still in delivery.</summary>
    public bool IsPending => Transfer?.Status == TransferStatus.Pending;

    /// <summary>
    /// Final: a finished transfer (completed or refunded). <see cref="LookupKind.NotFound"/> is not final:
    /// none has been accepted so far, but an attempt still on its way could start it later; sending the
    /// same request again (same ID) settles it. Never start a new transfer for the same intent on a 404.
    /// </summary>
    public bool IsFinal => Transfer?.IsFinished == true;
}
