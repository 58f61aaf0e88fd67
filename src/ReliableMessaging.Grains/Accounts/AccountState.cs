namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Everything an account persists, written in ONE grain-state write: the balance and the window
/// of recent records commit together or not at all. Older records live in the operation journal.
/// Never renumber an <c>[Id]</c>; <see cref="Clone"/> must carry every property (a test checks it).
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
    /// Set only by accounts written before the journal existed: the newest UUIDv7 timestamp (Unix ms)
    /// of a record they evicted without a journal. IDs at or below it can never be verified, so none
    /// is admitted. 0 for every account since.
    /// </summary>
    [Id(3)]
    public long EvictedThroughUnixMs { get; set; }

    /// <summary>The window: recent records, sorted by <see cref="Contracts.Uuid7.Compare"/> (oldest first).</summary>
    [Id(4)]
    public List<OperationRecord> Operations { get; set; } = [];

    /// <summary>Outgoing transfers debited and not yet delivered: persisted with the debit, in the same write.</summary>
    [Id(5)]
    public List<PendingTransfer> PendingTransfers { get; set; } = [];

    /// <summary>The sequence of the newest record (records are numbered 1, 2, 3, ... in order of execution).</summary>
    [Id(6)]
    public long LastSequence { get; set; }

    /// <summary>Every record with a sequence at or below this is durably in the journal (may lag behind the truth).</summary>
    [Id(7)]
    public long JournaledThrough { get; set; }

    /// <summary>
    /// The newest UUIDv7 timestamp (Unix ms) of a record that left the window for the journal. An ID
    /// above it that is not in the window was never executed; one at or below it is looked up in the journal.
    /// </summary>
    [Id(8)]
    public long JournalBoundaryUnixMs { get; set; }

    /// <summary>
    /// Credits refused for good, newest last, at most <see cref="AccountRules.MaxRefusedCredits"/>; null
    /// until the first (so an account that never refused one stores nothing more).
    /// </summary>
    [Id(9)]
    public List<RefusedCredit>? RefusedCredits { get; set; }

    /// <summary>
    /// The newest ID timestamp (Unix ms) of a refused credit that <see cref="RefusedCredits"/> had to let
    /// go (more than <see cref="AccountRules.MaxRefusedCredits"/> within their age): a credit at or below
    /// it that this account never applied is refused alike, so a forgotten refusal never turns into a credit.
    /// </summary>
    [Id(10)]
    public long RefusedCreditsForgottenThroughUnixMs { get; set; }

    /// <summary>Records committed but not yet known to be in the journal.</summary>
    public long Unjournaled => LastSequence - JournaledThrough;

    /// <summary>A copy to mutate while this one stays the last persisted state (records are immutable).</summary>
    public AccountState Clone() => new()
    {
        IsOpen = IsOpen,
        Balance = Balance,
        Version = Version,
        EvictedThroughUnixMs = EvictedThroughUnixMs,
        Operations = new List<OperationRecord>(Operations),
        PendingTransfers = new List<PendingTransfer>(PendingTransfers),
        LastSequence = LastSequence,
        JournaledThrough = JournaledThrough,
        JournalBoundaryUnixMs = JournalBoundaryUnixMs,
        RefusedCredits = RefusedCredits is null ? null : new List<RefusedCredit>(RefusedCredits),
        RefusedCreditsForgottenThroughUnixMs = RefusedCreditsForgottenThroughUnixMs,
    };
}
