namespace ReliableMessaging.Atm.Simulation;

/// <summary>What the run counts while it plays; see <see cref="RunCounters"/>.</summary>
public enum Counter
{
    AccountsOpened,
    OperationsIssued,
    TransfersIssued,
    TooManyPendingTransfers,
    Attempts,
    Retries,
    Replays,
    Timeouts,
    ConnectionErrors,
    StorageUnavailable,
    ClusterUnavailable,
    ServerErrors,
    DuplicatesSent,
    LookupRetries,
    SiloKills,
    SiloRestarts,
    SiloPauses,
    PausedSilosStopped,
    DatabasePathHangs,
    SilosSteppedOut,
    PostgresRestarts,
    StorageFaults,
    FaultErrors,
    AheadTransfers,
    AheadTransfersRefused,
}
