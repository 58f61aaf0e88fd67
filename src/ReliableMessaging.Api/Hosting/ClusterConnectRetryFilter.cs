using Microsoft.Extensions.Options;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// Waits for the cluster if it comes up after the front end, but not forever: past
/// <see cref="FrontEndOptions.ConnectTimeout"/> the process fails to start and its supervisor
/// restarts it, rather than hanging without a word.
/// </summary>
internal sealed class ClusterConnectRetryFilter(IOptions<FrontEndOptions> options, TimeProvider time) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly DateTimeOffset _deadline = time.GetUtcNow() + options.Value.ConnectTimeout;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() >= _deadline)
        {
            return false;
        }

        await Task.Delay(RetryDelay, time, cancellationToken);
        return true;
    }
}
