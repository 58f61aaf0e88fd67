using ReliableMessaging.Contracts.Health;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// When a silo whose database path fails should leave the cluster. Only when the failure is its own:
/// every probe of its own has failed for <see cref="DatabasePathOptions.StepOutAfter"/>, and peers
/// had no failed probe over that span but its last <see cref="DatabasePathOptions.PeerEvidenceAge"/>,
/// with a success within that age. A database that is down, or
/// slow for everyone, fails the peers' probes too, and then nobody leaves: leaving would only take
/// capacity away for when it comes back. Against a cascade (a silo starved of CPU times out, leaves,
/// its load starves the next), at least half of the peers that answered must reach the database, and
/// no silo leaves within <see cref="DepartureCooldown"/> of another silo leaving the cluster.
/// </summary>
public static class StepOutRule
{
    /// <summary>Whether this silo should leave the cluster now.</summary>
    /// <param name="own">This silo's report.</param>
    /// <param name="peers">The reports its active peers gave (none from a peer that did not answer).</param>
    /// <param name="options">The probe's settings.</param>
    /// <param name="sinceAPeerLeft">How long ago this silo saw another leave the cluster (declared dead or stopped), if it did.</param>
    public static bool ShouldStepOut(DatabasePathReport own, IEnumerable<DatabasePathReport> peers, DatabasePathOptions options, TimeSpan? sinceAPeerLeft = null)
    {
        ArgumentNullException.ThrowIfNull(peers);
        if (!ShouldAskPeers(own, options) || sinceAPeerLeft < DepartureCooldown(options))
        {
            return false;
        }

        var after = options.StepOutAfter!.Value;
        var answered = peers.Where(peer => peer.FromNamedSilo).ToList();
        var reaching = answered.Count(peer => ReachesTheDatabase(peer, after, options.PeerEvidenceAge));
        return reaching > 0 && 2 * reaching >= answered.Count;
    }

    /// <summary>
    /// How long after another silo left none steps out: its accounts' load has just moved to the rest,
    /// and slow probes then may be that load, not a path (twice <see cref="DatabasePathOptions.StepOutAfter"/>).
    /// </summary>
    public static TimeSpan DepartureCooldown(DatabasePathOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return 2 * (options.StepOutAfter ?? TimeSpan.Zero);
    }

    /// <summary>Whether this silo's own failure has lasted long enough to ask its peers about theirs (a healthy silo never asks).</summary>
    public static bool ShouldAskPeers(DatabasePathReport own, DatabasePathOptions options)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(options);
        return options.StepOutAfter is { } after && own.FailingFor is { } failing && failing >= after;
    }

    /// <summary>
    /// A peer none of whose probes failed over <paramref name="span"/>: its unbroken successes span it
    /// but for the last <paramref name="evidenceAge"/>, and the latest is no older than that.
    /// </summary>
    public static bool ReachesTheDatabase(DatabasePathReport peer, TimeSpan span, TimeSpan evidenceAge)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.FromNamedSilo
            && peer.HealthyFor is { } healthy && peer.SinceLastSuccess is { } since
            && since <= evidenceAge
            && healthy >= span - evidenceAge;
    }
}
