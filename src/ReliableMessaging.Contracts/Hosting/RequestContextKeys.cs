namespace ReliableMessaging.Contracts.Hosting;

/// <summary>Keys of values the front end passes to the grains in Orleans' <c>RequestContext</c>.</summary>
public static class RequestContextKeys
{
    /// <summary>The caller's identity (the token's subject or client ID): recorded with each operation it issues.</summary>
    public const string IssuedBy = "rm.issued-by";
}
