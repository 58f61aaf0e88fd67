namespace ReliableMessaging.Client;

/// <summary>What a lookup of an operation or a transfer said.</summary>
public enum LookupKind
{
    /// <summary>200: the record.</summary>
    Found,

    /// <summary>404 <c>operation-not-found</c> / <c>transfer-not-found</c>: no record; it never ran (or, for a transfer, was never accepted).</summary>
    NotFound,

    /// <summary>410 <c>idempotency-key-expired</c>: too old to verify.</summary>
    Expired,

    /// <summary>Another error (see <c>Error</c>), or no answer within the attempts.</summary>
    Failed,
}
