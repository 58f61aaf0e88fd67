using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// The exactly-once rules of every account, bound from the <c>Accounts</c> section of silo-config.
/// </summary>
public sealed class AccountOptions
{
    public const string SectionName = "Accounts";

    /// <summary>
    /// How many recent records the account keeps in its own state (the hot tier). The whole state is
    /// rewritten on every write, so each entry costs write bandwidth on every operation; older records
    /// are answered from the journal, so this size no longer decides what can be verified. 32 keeps a
    /// full state under 2 KB (measured: about 1.5 times the throughput of 128 on accounts with full windows, docs/benchmark-experiments.md).
    /// </summary>
    [Range(1, 100_000)]
    public int OperationWindowSize { get; set; } = 32;

    /// <summary>
    /// How long the journal keeps records, measured from their UUIDv7 timestamp; null keeps everything.
    /// When set, IDs older than this are refused as expired, and pruning deletes older rows; then
    /// <see cref="MaxOperationAge"/> must be at most half of it, so that every admitted operation stays
    /// verifiable for at least that long after it ran.
    /// </summary>
    public TimeSpan? JournalRetention { get; set; }

    /// <summary>
    /// A business limit: a NEW operation whose ID is older than this is refused as expired (a stale
    /// request); retries of executed ones are still answered from the record. Null: no limit.
    /// </summary>
    public TimeSpan? MaxOperationAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How far in the future an operation ID's timestamp may be (client clocks drift). Also the bound
    /// assumed between silo clocks: a transfer look-up allows this on top of two response timeouts
    /// before it answers that a start can no longer arrive.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How many committed records an account may hold that the journal has not confirmed (while the
    /// journal is down, or has left an append unanswered for <see cref="AccountGrain.JournalStallTimeout"/>).
    /// Past it, new operations are refused as unavailable (nothing is acknowledged).
    /// </summary>
    [Range(1, 100_000)]
    public int MaxUnjournaledOperations { get; set; } = 1000;

    /// <summary>
    /// How many operations an account may hold decided but not yet written: those that arrive while a
    /// state write is in flight go into the next one. Past it, new operations are refused as unavailable
    /// (nothing executed; replays are still answered), so a slow database, the journal fine, does not
    /// grow the next write (and every later one until the journal takes the records) without bound.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxQueuedOperations { get; set; } = 1000;

    /// <summary>
    /// How long the silo's journal writer waits after the first record arrives, so that records of
    /// many operations share one insert. Callers never wait for it (they are answered after their
    /// state write); it only delays when a record may leave an account's window. Zero: insert at once.
    /// </summary>
    public TimeSpan JournalFlushDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>How many outgoing transfers an account may have in delivery at once; past it, new ones are refused.</summary>
    [Range(1, 10_000)]
    public int MaxPendingTransfers { get; set; } = 100;

    /// <summary>
    /// How often a durable reminder retries undelivered transfers (after a crash, or when the
    /// destination keeps failing). Within an activation, retries also run sooner, with backoff.
    /// </summary>
    public TimeSpan TransferRetryPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A transfer still pending this long after its debit raises an operator alert (error log 1025,
    /// metric <c>reliablemessaging.transfers.overdue</c>); delivery keeps retrying.
    /// </summary>
    public TimeSpan TransferAlertAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Throws when a value makes no sense; called at silo start.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        // Upper bounds too: a bare number binds as days ("60" is 60 days), which would retry a stuck
        // delivery once in weeks, or never page anyone about it.
        if (TransferRetryPeriod < TimeSpan.FromSeconds(1) || TransferRetryPeriod > TimeSpan.FromHours(1))
        {
            throw new ValidationException($"{SectionName}:{nameof(TransferRetryPeriod)} must be between one second and one hour (a time span, like 00:01:00).");
        }

        if (TransferAlertAge < TransferRetryPeriod || TransferAlertAge > TimeSpan.FromDays(1))
        {
            throw new ValidationException(
                $"{SectionName}:{nameof(TransferAlertAge)} must be at least {nameof(TransferRetryPeriod)} and at most one day (a time span, like 00:05:00).");
        }

        if (JournalFlushDelay < TimeSpan.Zero || JournalFlushDelay > TimeSpan.FromSeconds(1))
        {
            throw new ValidationException($"{SectionName}:{nameof(JournalFlushDelay)} must be between zero and one second.");
        }

        if (MaxClockSkew < TimeSpan.Zero)
        {
            throw new ValidationException($"{SectionName}:{nameof(MaxClockSkew)} must be zero or positive.");
        }

        if (JournalRetention is { } retention && retention <= MaxClockSkew)
        {
            throw new ValidationException($"{SectionName}:{nameof(JournalRetention)} must be longer than {nameof(MaxClockSkew)}.");
        }

        if (MaxOperationAge is { } age && age <= MaxClockSkew)
        {
            throw new ValidationException($"{SectionName}:{nameof(MaxOperationAge)} must be longer than {nameof(MaxClockSkew)}.");
        }

        // An operation admitted at the oldest allowed age must stay verifiable for a retry at least
        // as long again: otherwise its record could be pruned moments after it executed, and a retry
        // of it would be refused as expired instead of replayed.
        if (JournalRetention is { } kept && (MaxOperationAge is not { } limit || limit > kept / 2))
        {
            throw new ValidationException(
                $"{SectionName}:{nameof(MaxOperationAge)} must be set, and at most half of {nameof(JournalRetention)}, when {nameof(JournalRetention)} is set.");
        }
    }
}
