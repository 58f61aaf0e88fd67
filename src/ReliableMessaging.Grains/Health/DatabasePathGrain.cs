using Orleans.Placement;
using ReliableMessaging.Contracts.Health;

namespace ReliableMessaging.Grains.Health;

/// <summary>
/// Answers for the silo it runs on, and only if that is the silo its key names: callers place it
/// there with a placement hint, which random placement honours while that silo is active. No state,
/// so it answers while the database is out of reach.
/// </summary>
[RandomPlacement]
public sealed class DatabasePathGrain(IDatabasePathStatus status, ILocalSiloDetails silo) : Grain, IDatabasePathGrain
{
    public Task<DatabasePathReport> GetReport()
    {
        // One question per key: nothing to keep.
        DeactivateOnIdle();

        // Placed elsewhere (the named silo had left, or was not yet known here): never speak for it.
        return Task.FromResult(DatabasePathGrainKey.Names(this.GetPrimaryKeyString(), silo.SiloAddress)
            ? status.Current()
            : DatabasePathReport.NotOnThatSilo);
    }
}
