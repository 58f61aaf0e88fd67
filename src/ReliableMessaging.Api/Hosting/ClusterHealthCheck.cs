using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Messaging;

namespace ReliableMessaging.Api.Hosting;

/// <summary>
/// Ready when the cluster answers a grain call (the management grain lists active silos); Degraded
/// (still ready: the other silos serve their accounts) when an active silo is suspected by another,
/// does not answer on its own, or the management call itself hangs or fails on a silo that stopped serving
/// while others are listed (for at most <see cref="UnansweredGrace"/>); Unhealthy when no silo is
/// active, the only one listed does not answer, the cluster has not answered for longer than that,
/// or it cannot be reached at all.
/// </summary>
internal sealed class ClusterHealthCheck(IClusterClient client, IGatewayListProvider gateways, TimeProvider time) : IHealthCheck
{
    /// <summary>The membership read: a refresh of the table through one silo.</summary>
    internal static readonly TimeSpan ClusterTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Each active silo must answer a statistics call within this; live ones take milliseconds.</summary>
    internal static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Checks within this of the last one share its result. The probe is anonymous and each check reads
    /// the membership table and calls every silo: without this, anyone could turn requests into cluster work.
    /// </summary>
    internal static readonly TimeSpan SharedFor = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the cluster may go unanswered through every gateway tried (while several silos are
    /// listed) and still count as Degraded. A single stalled silo never makes it so (another gateway
    /// answers); past it, no silo this front end can reach serves (they all stalled, or it is cut off
    /// from them): Unhealthy, so a load balancer sends requests to a front end that can serve them.
    /// </summary>
    internal static readonly TimeSpan UnansweredGrace = TimeSpan.FromSeconds(20);

    /// <summary>Management grains of other keys asked when key 0 does not answer (each may go through another gateway).</summary>
    private const int AlternativeProbes = 3;

    /// <summary>Orleans' default DeathVoteExpirationTimeout: older suspicion votes no longer count.</summary>
    private static readonly TimeSpan VoteAge = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private long _lastStarted;
    private long? _unansweredSince;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // A monotonic clock: a wall clock stepped back would keep serving an old result.
            if (_last is null || time.GetElapsedTime(_lastStarted) >= SharedFor)
            {
                // Not the caller's token: the check is shared, and bounded by its own timeouts.
                (_last, _lastStarted) = (CheckClusterAsync(CancellationToken.None), time.GetTimestamp());
            }

            return _last.WaitAsync(cancellationToken);
        }
    }

    private async Task<HealthCheckResult> CheckClusterAsync(CancellationToken cancellationToken)
    {
        var management = client.GetGrain<IManagementGrain>(0);
        MembershipEntry[] hosts;
        try
        {
            hosts = await management.GetDetailedHosts(onlyActive: true, cancellationToken).WaitAsync(ClusterTimeout, cancellationToken);
            ResetUnanswered();
        }
        catch (InvalidOperationException exception)
        {
            // The client is not connected to the cluster at all.
            return HealthCheckResult.Unhealthy("The cluster did not answer.", exception);
        }
        catch (Exception exception) when (GatewayCallFailed(exception, cancellationToken))
        {
            // The management grain is a stateless worker on the gateway this client routes its key to,
            // which may be the silo that stopped answering, or one whose own way to the database fails
            // (the call reads the membership table there): other keys go through other gateways. One
            // that answers shows the rest of the cluster serving this front end (Degraded, however long).
            var listed = await ListedGatewaysAsync(cancellationToken);
            var failure = exception is TimeoutException
                ? string.Create(CultureInfo.InvariantCulture, $"did not answer within {ClusterTimeout.TotalSeconds:0} s")
                : $"failed ({exception.GetType().Name})";
            if (listed > 1 && await AnotherGatewayAnswersAsync(cancellationToken))
            {
                ResetUnanswered();
                return HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                    $"One gateway's call {failure}, another answered ({listed} silos listed active): one may have stopped serving."), exception);
            }

            TimeSpan unanswered;
            lock (_gate)
            {
                _unansweredSince ??= time.GetTimestamp();
                unanswered = time.GetElapsedTime(_unansweredSince.Value);
            }

            // With another silo listed, the rest may still serve (for a while: see UnansweredGrace); with one, nothing does.
            return listed switch
            {
                > 1 when unanswered >= UnansweredGrace => HealthCheckResult.Unhealthy(string.Create(CultureInfo.InvariantCulture,
                    $"The cluster has not answered for {unanswered.TotalSeconds:0} s although {listed} silos are listed active: none that this front end reaches serves."), exception),
                > 1 => HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                    $"The cluster's call {failure} while {listed} silos are listed active: one may have stopped serving."), exception),
                1 => HealthCheckResult.Unhealthy($"The only silo listed active: its call {failure}.", exception),
                _ => HealthCheckResult.Unhealthy($"The cluster's call {failure} and no silo is listed active.", exception),
            };
        }

        if (hosts.Length == 0)
        {
            return HealthCheckResult.Unhealthy("No active silo.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var suspected = hosts
            .Where(host => host.SuspectTimes?.Any(vote => now - vote.Item2 < VoteAge) == true)
            .Select(host => host.SiloAddress)
            .ToList();
        var silent = (await Task.WhenAll(hosts.Select(host => AnswersAsync(management, host.SiloAddress, cancellationToken))))
            .OfType<SiloAddress>()
            .ToList();
        if (suspected.Count == 0 && silent.Count == 0)
        {
            return HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{hosts.Length} active silo(s)."));
        }

        var problems = new List<string>();
        if (silent.Count > 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"not answering within {SiloTimeout.TotalSeconds:0} s: {string.Join(", ", silent)}"));
        }

        if (suspected.Count > 0)
        {
            problems.Add($"suspected by another silo: {string.Join(", ", suspected)}");
        }

        return HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"{hosts.Length} active silo(s); {string.Join("; ", problems)}."));
    }

    private void ResetUnanswered()
    {
        lock (_gate)
        {
            _unansweredSince = null;
        }
    }

    // Management grains of other keys, in other gateway buckets of this client: true when one answers in time.
    private async Task<bool> AnotherGatewayAnswersAsync(CancellationToken cancellationToken)
    {
        var answers = Enumerable.Range(1, AlternativeProbes).Select(async key =>
        {
            try
            {
                await client.GetGrain<IManagementGrain>(key).GetHosts(onlyActive: true).WaitAsync(ClusterTimeout, cancellationToken);
                return true;
            }
            catch (Exception exception) when (GatewayCallFailed(exception, cancellationToken))
            {
                return false;
            }
        });
        return (await Task.WhenAll(answers)).Any(answered => answered);
    }

    // The silo when it did not answer in time, null when it did.
    private static async Task<SiloAddress?> AnswersAsync(IManagementGrain management, SiloAddress silo, CancellationToken cancellationToken)
    {
        try
        {
            await management.GetRuntimeStatistics([silo], cancellationToken).WaitAsync(SiloTimeout, cancellationToken);
            return null;
        }
        catch (Exception exception) when (GatewayCallFailed(exception, cancellationToken))
        {
            // Too late, declared dead meanwhile, its connection broke, or it failed: it is not answering either.
            return silo;
        }
    }

    private async Task<int> ListedGatewaysAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await gateways.GetGateways().WaitAsync(ClusterTimeout, cancellationToken)).Count;
        }
        catch (Exception exception) when (GatewayCallFailed(exception, cancellationToken))
        {
            // The gateway list is read from the database (refused, say, past the front end's connection limit):
            // unknown, counted as none listed.
            return 0;
        }
    }

    /// <summary>
    /// Whether an exception is the probed call's failure, whatever its type: a silo whose own way to the
    /// database is refused answers the membership read with Npgsql's exception, which has no codec outside
    /// the silo and arrives as a serializer error, not an <see cref="OrleansException"/>. Only the caller's
    /// own cancellation is not (the probe is a health check: its result describes the failure, nobody retries on it).
    /// </summary>
    private static bool GatewayCallFailed(Exception exception, CancellationToken cancellationToken) =>
        !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested);
}
