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
        if (this.GetPrimaryKeyString() != silo.SiloAddress.ToParsableString())
        {
            // Placed elsewhere because the named silo had left: never speak for it.
            DeactivateOnIdle();
            return Task.FromResult(DatabasePathReport.NotOnThatSilo);
        }

        return Task.FromResult(status.Current());
    }
}
