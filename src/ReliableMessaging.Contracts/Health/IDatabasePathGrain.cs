namespace ReliableMessaging.Contracts.Health;

/// <summary>
/// What one silo knows of its own way to the database, keyed by that silo's address and a nonce
/// (<see cref="DatabasePathGrainKey"/>). Silos ask each other before one steps out of the cluster
/// because its database path hangs: only a silo whose peers reach the database is the gray one.
/// Activated on the silo it names (a placement hint); an activation anywhere else answers
/// <see cref="DatabasePathReport.NotOnThatSilo"/>. Every activation answers once and goes.
/// </summary>
[Alias("rm.IDatabasePathGrain")]
public interface IDatabasePathGrain : IGrainWithStringKey
{
    /// <summary>The named silo's latest probes of its database path.</summary>
    [Alias("GetReport")]
    Task<DatabasePathReport> GetReport();
}
