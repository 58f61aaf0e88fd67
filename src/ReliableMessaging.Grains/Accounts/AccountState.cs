namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Everything an account persists, written in ONE grain-state write: the balance and the window
/// of recorded operations commit together or not at all. Never renumber an <c>[Id]</c>.
/// </summary>
[GenerateSerializer, Alias("rm.AccountState")]
public sealed class AccountState
{
    [Id(0)]
    public bool IsOpen { get; set; }

    /// <summary>Committed balance in minor units; never negative.</summary>
    [Id(1)]
    public long Balance { get; set; }

    /// <summary>Incremented by every committed change.</summary>
    [Id(2)]
    public long Version { get; set; }

    /// <summary>
    /// The newest UUIDv7 timestamp (Unix ms) of an evicted record: no ID at or below it can be
    /// verified any more, so none is admitted. Only ever rises.
    /// </summary>
    [Id(3)]
    public long EvictedThroughUnixMs { get; set; }

    /// <summary>Recorded operations, sorted by <see cref="Contracts.Uuid7.Compare"/> (oldest first).</summary>
    [Id(4)]
    public List<OperationRecord> Operations { get; set; } = [];

    /// <summary>Outgoing transfers debited and not yet delivered: persisted with the debit, in the same write.</summary>
    [Id(5)]
    public List<PendingTransfer> PendingTransfers { get; set; } = [];

    /// <summary>A copy to mutate while this one stays the last persisted state.</summary>
    public AccountState Clone() => new()
    {
        IsOpen = IsOpen,
        Balance = Balance,
        Version = Version,
        EvictedThroughUnixMs = EvictedThroughUnixMs,
        Operations = new List<OperationRecord>(Operations),
        PendingTransfers = new List<PendingTransfer>(PendingTransfers),
    };
}
