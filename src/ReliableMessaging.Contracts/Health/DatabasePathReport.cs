namespace ReliableMessaging.Contracts.Health;

/// <summary>
/// A silo's probes of its database path, as spans measured on its own clock (silos' clocks may
/// disagree, spans do not): for how long every probe has succeeded, or failed, and how long ago the
/// last one succeeded. Before its first probe a silo has neither span.
/// </summary>
[GenerateSerializer, Immutable, Alias("rm.DatabasePathReport")]
public sealed record DatabasePathReport(
    [property: Id(0)] bool FromNamedSilo,
    [property: Id(1)] TimeSpan? HealthyFor,
    [property: Id(2)] TimeSpan? FailingFor,
    [property: Id(3)] TimeSpan? SinceLastSuccess)
{
    /// <summary>The answer of an activation that is not on the silo its key names (that silo is gone): no evidence either way.</summary>
    public static DatabasePathReport NotOnThatSilo { get; } = new(false, null, null, null);
}
