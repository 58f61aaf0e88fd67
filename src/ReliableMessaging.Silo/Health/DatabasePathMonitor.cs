using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;
using ReliableMessaging.Contracts.Health;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// Probes this silo's own way to the database (<see cref="DatabasePathProbe"/>) and takes the silo out
/// of the cluster when that way hangs while its peers' works (<see cref="StepOutRule"/>). Orleans cannot see such a silo: it answers
/// its peers' probes, so it stays active, keeps its accounts and is given new ones, and every call to
/// them fails (after the statement timeout) for as long as the path hangs. Ending the process hands them
/// to silos that can serve them; its supervisor restarts it, and it rejoins once it reaches the database
/// again (until then its start fails: it cannot join without the membership table).
/// </summary>
public sealed partial class DatabasePathMonitor(
    DatabasePathProbe probe,
    IOptions<DatabasePathOptions> options,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IGrainFactory grains,
    TimeProvider time,
    ILogger<DatabasePathMonitor> logger) : BackgroundService
{
    // Long enough for the console logger's queue to write the reason before the process ends.
    private static readonly TimeSpan LogFlushPause = TimeSpan.FromMilliseconds(500);

    private HashSet<SiloAddress> _peersActiveBefore = [];
    private long? _aPeerLeftAt;

    /// <summary>
    /// Asks every other active silo for its report (a peer that does not answer within the probe
    /// timeout, or has left, gives none) and steps out if <see cref="StepOutRule"/> says so: the process
    /// ends. Returns false when it stays in.
    /// </summary>
    public async Task<bool> ConsiderSteppingOutAsync(CancellationToken cancellationToken)
    {
        var peers = ActivePeers();
        var own = probe.Current();
        if (!StepOutRule.ShouldAskPeers(own, options.Value))
        {
            return false;
        }

        var (after, failing) = (options.Value.StepOutAfter!.Value, own.FailingFor!.Value);
        var reports = (await Task.WhenAll(peers.Select(peer => AskAsync(peer, cancellationToken)))).OfType<DatabasePathReport>().ToList();
        var sinceAPeerLeft = _aPeerLeftAt is { } left ? time.GetElapsedTime(left) : (TimeSpan?)null;
        var reaching = reports.Count(report => StepOutRule.ReachesTheDatabase(report, after, options.Value.PeerEvidenceAge));
        if (!StepOutRule.ShouldStepOut(own, reports, options.Value, sinceAPeerLeft))
        {
            LogStayingIn(logger, failing, peers.Count, reaching);
            return false;
        }

        LogSteppingOut(logger, failing, reaching);
        await Task.Delay(LogFlushPause, time, CancellationToken.None);

        // Not a graceful stop: every step of one (deactivations, this silo's row in the membership
        // table) waits on the database path that hangs, so it would hold the accounts for minutes while
        // refusing their calls. This is how Orleans ends a silo that learns it was declared dead; the
        // peers see the process gone at their next probes and take its accounts.
        Environment.FailFast($"Stepped out of the cluster: this silo has not reached the database for {failing} while {reaching} peer(s) have.");
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
        do
        {
            try
            {
                await probe.ProbeAsync(stoppingToken);
                if (await ConsiderSteppingOutAsync(stoppingToken))
                {
                    return;
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // A failure nobody foresaw (a bug, an exception type the probe does not expect) in a
                // watcher of the silo must not end the silo: an escaped exception stops the host, and
                // every silo with the same configuration would stop at once. This round decides nothing
                // (the probe's record stays as it was); the error is logged each round it recurs.
                LogRoundFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    // The other active silos, noting when one that was active before no longer is (the rule's cooldown).
    private List<SiloAddress> ActivePeers()
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active && !member.SiloAddress.Equals(silo.SiloAddress))
            .Select(member => member.SiloAddress)
            .ToHashSet();
        if (_peersActiveBefore.Any(peer => !active.Contains(peer)))
        {
            _aPeerLeftAt = time.GetTimestamp();
        }

        _peersActiveBefore = active;
        return [.. active];
    }

    private async Task<DatabasePathReport?> AskAsync(SiloAddress peer, CancellationToken cancellationToken)
    {
        // Random placement puts a new activation on the hinted silo while it is active; the grain
        // answers only for the silo it runs on. The context change stays within this call.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, peer);
        try
        {
            return await grains.GetGrain<IDatabasePathGrain>(DatabasePathGrainKey.Create(peer)).GetReport()
                .WaitAsync(options.Value.ProbeTimeout, time, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is TimeoutException or OrleansException)
        {
            // A peer that cannot answer is no evidence that the database is reachable.
            LogPeerDidNotAnswer(logger, peer, exception);
            return null;
        }
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning,
        Message = "This silo has not reached the database for {FailedFor}; staying in ({Peers} active peers, {Reaching} reach it): the failure is not shown to be this silo's own, or a silo left the cluster too recently")]
    private static partial void LogStayingIn(ILogger logger, TimeSpan failedFor, int peers, int reaching);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Critical,
        Message = "This silo has not reached the database for {FailedFor} while {Reaching} peer(s) have: stepping out of the cluster (the process ends now; restart it) so its accounts move to silos that can serve them")]
    private static partial void LogSteppingOut(ILogger logger, TimeSpan failedFor, int reaching);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Error, Message = "A round of the database path monitor failed unexpectedly; it decided nothing and the monitor goes on")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Peer {Peer} gave no database path report")]
    private static partial void LogPeerDidNotAnswer(ILogger logger, SiloAddress peer, Exception exception);
}
