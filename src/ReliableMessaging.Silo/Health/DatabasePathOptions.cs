using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Silo.Health;

/// <summary>
/// How a silo watches its own way to the database and when it steps out of the cluster because that
/// way hangs while its peers' works (bound from the <c>DatabasePath</c> section).
/// </summary>
public sealed class DatabasePathOptions
{
    public const string SectionName = "DatabasePath";

    /// <summary>How often the silo probes its database path (<c>SELECT 1</c> on a connection of its own).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one probe (connecting included) may take before it counts as failed.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The silo's process ends (for its supervisor to restart it) once every probe of its own has failed
    /// for this long while peers had no failed probe over as long (but its last
    /// <see cref="PeerEvidenceAge"/>; <see cref="StepOutRule"/>). Its accounts then move to silos that can serve them, instead of failing
    /// for as long as its path hangs. Null: never step out (probes are still logged).
    /// </summary>
    public TimeSpan? StepOutAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fails on settings that would probe constantly or step out on a single slow probe.</summary>
    public void Validate()
    {
        // At most a minute each and ten minutes to step out: a bare number binds as days ("30" is 30 days),
        // and a silo that steps out only after days keeps its accounts failing for as long.
        if (ProbeInterval < TimeSpan.FromMilliseconds(100) || ProbeTimeout < TimeSpan.FromMilliseconds(100)
            || ProbeInterval > TimeSpan.FromMinutes(1) || ProbeTimeout > TimeSpan.FromMinutes(1))
        {
            throw new SettingsException($"{SectionName}:{nameof(ProbeInterval)} and {nameof(ProbeTimeout)} must be between 100 ms and one minute.");
        }

        if (StepOutAfter > TimeSpan.FromMinutes(10))
        {
            throw new SettingsException($"{SectionName}:{nameof(StepOutAfter)} must be at most ten minutes (a time span, like 00:00:30), or null to never step out.");
        }

        // Twice the peers' evidence age, not only twice a probe's period: a peer's unbroken successes must
        // span at least half of the failure (StepOutRule), else a peer whose last success predates it, and
        // whose probe of the same stall has not timed out yet, counts as reaching the database (with
        // 0.2 s, 0.2 s and 0.8 s, a sub-second stall of the whole database could make two of three silos leave).
        if (StepOutAfter is { } after && after < 2 * PeerEvidenceAge)
        {
            throw new SettingsException(
                $"{SectionName}:{nameof(StepOutAfter)} ({after}) must be at least twice {nameof(ProbeInterval)} plus {nameof(ProbeTimeout)} plus 1 s "
                + $"({2 * PeerEvidenceAge}): one failed probe is no evidence, and a peer's successes must span at least half of the failure.");
        }
    }

    /// <summary>How recent a peer's last successful probe must be to count: one period and one probe's time, and a second of slack.</summary>
    public TimeSpan PeerEvidenceAge => ProbeInterval + ProbeTimeout + TimeSpan.FromSeconds(1);
}
