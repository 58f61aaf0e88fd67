using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// What <see cref="TransferDelivery"/> needs from the source account: its committed outbox, the call
/// to the destination, one state write per outcome, the durable reminder and a timer. The grain
/// implements it with Orleans; tests implement it with calls they complete by hand.
/// </summary>
public interface ITransferDeliveryHost
{
    /// <summary>The persisted outbox: transfers debited and not yet completed or refunded.</summary>
    IReadOnlyList<PendingTransfer> CommittedOutbox { get; }

    /// <summary>True once a state write failed: the activation is retiring and must change nothing more.</summary>
    bool IsRetired { get; }

    /// <summary>Sends the credit to the destination under <paramref name="creditId"/>; throws when the call failed.</summary>
    Task<OperationResult> SendCreditAsync(PendingTransfer transfer, Guid creditId);

    /// <summary>
    /// Records <paramref name="outcome"/> (completed or refunded) in one state write, its records
    /// issued by <paramref name="issuedBy"/> (an operator's resolution; null for the delivery's own).
    /// False when it changed nothing; throws <see cref="AccountStorageException"/> when the write failed.
    /// </summary>
    Task<bool> FinishAsync(PendingTransfer transfer, TransferState outcome, DateTimeOffset now, string? issuedBy = null);

    /// <summary>Registers (or refreshes) the durable delivery reminder; throws when that is not certain.</summary>
    Task RegisterReminderAsync();

    /// <summary>Removes the durable delivery reminder; throws when that is not certain.</summary>
    Task UnregisterReminderAsync();

    /// <summary>
    /// Writes the state as it is, to check that this activation's view of the outbox is current; throws
    /// <see cref="AccountStorageException"/> when the write failed (another activation wrote the row).
    /// </summary>
    Task ConfirmStateAsync();

    /// <summary>Calls <see cref="TransferDelivery.OnTimer"/> once after <paramref name="dueTime"/>, replacing an earlier timer.</summary>
    void ScheduleRetry(TimeSpan dueTime);
}
