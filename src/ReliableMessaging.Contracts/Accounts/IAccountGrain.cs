using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Contracts.Accounts;

/// <summary>
/// One account, keyed by its account ID. Every state-changing call carries a UUIDv7 operation ID
/// and takes effect exactly once: a retry is answered with the recorded outcome.
/// A call that throws <see cref="AccountStorageException"/> was not acknowledged; retry it with the same ID.
/// </summary>
[Alias("rm.IAccountGrain")]
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>Opens the account; opening an open account is a no-op.</summary>
    [Alias("Open")]
    Task<OpenAccountResult> Open();

    /// <summary>Credits <paramref name="amount"/> minor units, once per <paramref name="operationId"/>.</summary>
    [Alias("Deposit")]
    Task<OperationResult> Deposit(Guid operationId, long amount);

    /// <summary>Debits <paramref name="amount"/> minor units if the balance covers it, once per <paramref name="operationId"/>.</summary>
    [Alias("Withdraw")]
    Task<OperationResult> Withdraw(Guid operationId, long amount);

    /// <summary>The committed balance and version.</summary>
    [Alias("GetSnapshot")]
    Task<AccountSnapshot> GetSnapshot();

    /// <summary>The recorded outcome of one operation ID, or why there is none.</summary>
    [Alias("GetOperation")]
    Task<OperationLookupResult> GetOperation(Guid operationId);

    /// <summary>
    /// Debits <paramref name="amount"/> and records the outgoing transfer in one write, then delivers
    /// the credit to <paramref name="destination"/> until it is acknowledged (or refunds if it is refused).
    /// Once per <paramref name="transferId"/>.
    /// </summary>
    [Alias("StartTransfer")]
    Task<TransferResult> StartTransfer(Guid transferId, string destination, long amount);

    /// <summary>
    /// Credits an incoming transfer, once per <paramref name="creditId"/> (derived from the transfer ID).
    /// </summary>
    [Alias("ReceiveTransfer")]
    Task<OperationResult> ReceiveTransfer(Guid creditId, string source, long amount);

    /// <summary>An outgoing transfer's status.</summary>
    [Alias("GetTransfer")]
    Task<TransferLookupResult> GetTransfer(Guid transferId);

    /// <summary>
    /// An outgoing transfer's status, where "unknown" is final: before answering it the account
    /// writes its state once, so that an older activation of it (on a silo that was paused and
    /// declared dead) can no longer commit a start of this transfer that it still holds.
    /// </summary>
    [Alias("GetTransferFenced")]
    Task<TransferLookupResult> GetTransferFenced(Guid transferId);

    /// <summary>
    /// An operator's way out for an outgoing transfer held pending because its destination cannot
    /// tell whether the credit landed (it answers "expired": the record may have been pruned past
    /// the journal's retention, error 1029). The credit is sent once more; only when the destination
    /// still answers "expired" does the transfer end as <paramref name="outcome"/>
    /// (<see cref="TransferState.Completed"/>: the money reached the destination, as the operator
    /// established from other records; <see cref="TransferState.Refunded"/>: it did not, and goes back).
    /// </summary>
    [Alias("ResolveHeldTransfer")]
    Task<HeldTransferResolution> ResolveHeldTransfer(Guid transferId, TransferState outcome, string reason);

    /// <summary>
    /// The account's statement: every committed operation with a sequence above
    /// <paramref name="afterSequence"/>, oldest first, at most <paramref name="limit"/> (1 to
    /// <see cref="MaxStatementPage"/>). Complete across the window and the journal.
    /// </summary>
    [Alias("GetStatement")]
    Task<StatementPage> GetStatement(long afterSequence, int limit);

    /// <summary>Waits until every committed record of the account is in the journal (for the audit).</summary>
    [Alias("SyncJournal")]
    Task<JournalCheckpoint> SyncJournal();

    /// <summary>The largest statement page.</summary>
    public const int MaxStatementPage = 1000;
}
