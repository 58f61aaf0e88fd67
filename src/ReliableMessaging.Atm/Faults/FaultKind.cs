namespace ReliableMessaging.Atm.Faults;

/// <summary>The failures the simulator injects.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL a random silo, then start it again.</summary>
    SiloKill,

    /// <summary>Fast-stop PostgreSQL (open connections are cut), keep it down a while, start it.</summary>
    PostgresRestart,

    /// <summary>Terminate every connection to the service database: in-flight state writes fail for real.</summary>
    StorageFault,
}
