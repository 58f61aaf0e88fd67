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

    /// <summary>
    /// Checks one attempt of the peer with <paramref name="credentialsAreRight"/> and counts it if it fails,
    /// as one step: checking first and counting after let concurrent guesses all pass the check while the
    /// failures were below the limit, so a guesser got as many tries per window as requests it could keep
    /// in flight. The check is a few microseconds (two hashes), so holding the peer's lock for it costs
    /// nothing a login would notice.
    /// </summary>
    public DashboardLoginVerdict Attempt(IPAddress address, Func<bool> credentialsAreRight)
    {
        var peer = Peer(address);
        lock (_locks[(peer.GetHashCode() & int.MaxValue) % _locks.Length])
        {
            if (_failures.GetStatistics(peer)?.CurrentAvailablePermits == 0)
            {
                return DashboardLoginVerdict.LockedOut;
            }

            if (credentialsAreRight())
            {
                return DashboardLoginVerdict.Accepted;
            }

            using var lease = _failures.AttemptAcquire(peer);
            return DashboardLoginVerdict.Refused;
        }
    }

    // Striped: peers that share a stripe only wait for each other's microseconds.
    private readonly object[] _locks = [.. Enumerable.Range(0, 64).Select(_ => new object())];

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
