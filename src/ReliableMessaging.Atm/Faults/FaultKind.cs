namespace ReliableMessaging.Atm.Faults;

/// <summary>The failures the simulator injects.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL a random silo, then start it again.</summary>
    SiloKill,

    /// <summary>SIGSTOP a random silo (alive, sockets open, answering nothing), SIGCONT it later; start it again if it stopped itself.</summary>
    SiloPause,

    /// <summary>Fast-stop PostgreSQL (open connections are cut), keep it down a while, start it.</summary>
    PostgresRestart,

    /// <summary>Terminate every connection to the service database: in-flight state writes fail for real.</summary>
    StorageFault,

    /// <summary>
    /// Hang a random silo's way to PostgreSQL (its proxy delivers nothing, closes nothing) while its peers'
    /// works; wait for it to step out of the cluster, heal the path and start it again.
    /// </summary>
    DatabasePathHang,
}
