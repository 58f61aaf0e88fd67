using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>What <c>GET /accounts/{id}/operations/{operationId}</c> said.</summary>
public sealed record OperationLookup(LookupKind Kind, RecordedOperation? Operation, ApiError? Error, string Detail)
{
    /// <summary>Found and applied.</summary>
    public bool Succeeded => Operation?.Succeeded == true;
}
