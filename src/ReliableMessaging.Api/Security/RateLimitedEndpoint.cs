namespace ReliableMessaging.Api.Security;

/// <summary>Endpoint metadata: the endpoint's requests count against their caller's rate limit (<see cref="RateLimitMiddleware"/>).</summary>
public sealed class RateLimitedEndpoint
{
    public static RateLimitedEndpoint Instance { get; } = new();

    private RateLimitedEndpoint()
    {
    }
}
