namespace ReliableMessaging.Silo.Faults;

/// <summary>
/// Fault injection for tests and chaos runs, bound from the <c>Faults</c> section. Never set in a
/// deployment: every setting here makes the silo behave worse on purpose.
/// </summary>
public sealed class FaultOptions
{
    public const string SectionName = "Faults";

    /// <summary>
    /// Shifts the wall clock of this silo (what its grains and Orleans read from <see cref="TimeProvider"/>)
    /// by this much, as on a host whose clock is off: silos with different offsets disagree about "now",
    /// so a transfer's credit can arrive "from the future" at a destination whose clock is behind. Null
    /// or zero: the system clock. Must be shorter than <c>Accounts:MaxClockSkew</c>, the skew the
    /// accounts tolerate; the silo refuses to start otherwise, and logs a warning when it is set.
    /// </summary>
    public TimeSpan? ClockOffset { get; set; }

    /// <summary>True when the offset is one the accounts are built to tolerate.</summary>
    public bool ClockOffsetWithin(TimeSpan maxClockSkew) => ClockOffset is not { } offset || offset.Duration() < maxClockSkew;
}
