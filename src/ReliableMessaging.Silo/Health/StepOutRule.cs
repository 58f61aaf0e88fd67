using ReliableMessaging.Contracts.Health;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// When a silo whose database path fails should leave the cluster. Only when the failure is its own:
/// every probe of its own has failed for <see cref="DatabasePathOptions.StepOutAfter"/>, and at least
/// one peer had no failed probe over as long and a successful one just now. A database that is down, or
/// slow for everyone, fails the peers' probes too, and then nobody leaves: leaving would only take
/// capacity away for when it comes back.
/// </summary>
public static class StepOutRule
{
    public static bool ShouldStepOut(DatabasePathReport own, IEnumerable<DatabasePathReport> peers, DatabasePathOptions options)
    {
        ArgumentNullException.ThrowIfNull(peers);
        return ShouldAskPeers(own, options)
            && peers.Any(peer => ReachesTheDatabase(peer, options.StepOutAfter!.Value, options.PeerEvidenceAge));
    }

    /// <summary>Whether this silo's own failure has lasted long enough to ask its peers about theirs (a healthy silo never asks).</summary>
    public static bool ShouldAskPeers(DatabasePathReport own, DatabasePathOptions options)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(options);
        return options.StepOutAfter is { } after && own.FailingFor is { } failing && failing >= after;
    }

    /// <summary>A peer none of whose probes failed over <paramref name="span"/>, with a success within <paramref name="evidenceAge"/>.</summary>
    public static bool ReachesTheDatabase(DatabasePathReport peer, TimeSpan span, TimeSpan evidenceAge)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.FromNamedSilo
            && peer.HealthyFor is { } healthy && peer.SinceLastSuccess is { } since
            && since <= evidenceAge
            && healthy + since >= span;
    }
}
