namespace ReliableMessaging.Testing;

/// <summary>What the fault-injecting storage does to the next state write of one account.</summary>
public enum StorageFault
{
    /// <summary>Write normally: queued before a fault to aim it at a later write.</summary>
    None,

    /// <summary>Throw before anything reaches the database (e.g. connection refused).</summary>
    FailBeforeWrite,

    /// <summary>Commit the write, then throw: the acknowledgement is lost, as when the connection drops after COMMIT.</summary>
    FailAfterWrite,

    /// <summary>Throw a bug (not a database failure) before anything reaches the database, e.g. a serializer defect.</summary>
    BugBeforeWrite,
}
