using System.Net;
using System.Threading.RateLimiting;

namespace ReliableMessaging.Api.Dashboard;

/// <summary>
/// Bounds password guessing on the dashboard: each peer address may fail <see cref="FailuresPerWindow"/>
/// times within <see cref="Window"/>; after that its credentials are not even checked until the window
/// ends (429 with Retry-After). Behind a reverse proxy every browser shares the proxy's address, so a
/// guesser locks the operator out for a minute too: it fails closed, never open.
/// </summary>
internal sealed class DashboardLoginThrottle : IDisposable
{
    public const int FailuresPerWindow = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<IPAddress> _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = FailuresPerWindow,
            Window = Window,
            QueueLimit = 0,
        }));

    /// <summary>The peer has used up its failures for this window.</summary>
    public bool IsLockedOut(IPAddress address) => _failures.GetStatistics(Peer(address))?.CurrentAvailablePermits == 0;

    /// <summary>Counts one failed attempt of the peer.</summary>
    public void Failed(IPAddress address)
    {
        using var lease = _failures.AttemptAcquire(Peer(address));
    }

    /// <summary>
    /// The address whose failures count together: an IPv4 peer (also when mapped into IPv6) by itself, an
    /// IPv6 peer by its /64, which one host may use whole (rotating through it would otherwise reset the count).
    /// </summary>
    internal static IPAddress Peer(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    public void Dispose() => _failures.Dispose();
}
