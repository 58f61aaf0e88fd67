namespace ReliableMessaging.Atm.Bank;

/// <summary>What <c>GET /accounts/{id}/operations/{operationId}</c> said.</summary>
public enum LookupKind
{
    /// <summary>200: the recorded outcome.</summary>
    Found,

    /// <summary>404 operation-not-found: it never ran.</summary>
    NotFound,

    /// <summary>410: below the admission floor, no longer verifiable.</summary>
    Expired,

    /// <summary>No answer within the bounded attempts, or an answer that makes no sense.</summary>
    Failed,
}
