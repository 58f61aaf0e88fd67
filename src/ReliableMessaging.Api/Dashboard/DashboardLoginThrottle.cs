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
    public bool IsLockedOut(IPAddress address) => _failures.GetStatistics(address)?.CurrentAvailablePermits == 0;

    /// <summary>Counts one failed attempt of the peer.</summary>
    public void Failed(IPAddress address)
    {
        using var lease = _failures.AttemptAcquire(address);
    }

    public void Dispose() => _failures.Dispose();
}
