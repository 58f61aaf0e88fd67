using ReliableMessaging.Contracts.Health;

namespace ReliableMessaging.Grains.Health;

/// <summary>This silo's probes of its database path (the silo's monitor owns the probing; grains only read it).</summary>
public interface IDatabasePathStatus
{
    /// <summary>The latest probes, as of now.</summary>
    DatabasePathReport Current();
}
