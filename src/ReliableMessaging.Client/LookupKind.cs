namespace ReliableMessaging.Client;

/// <summary>What a lookup of an operation or a transfer said.</summary>
public enum LookupKind
{
    /// <summary>200: the record.</summary>
    Found,

    /// <summary>404 <c>operation-not-found</c> / <c>transfer-not-found</c>: no record so far: it has not run (or, for a transfer, has not been accepted), though an attempt still on its way could run it later. Sending the same request again settles it.</summary>
    NotFound,

    /// <summary>410 <c>idempotency-key-expired</c>: too old to verify.</summary>
    Expired,

    /// <summary>Another error (see <c>Error</c>), or no answer within the attempts.</summary>
    Failed,
}
