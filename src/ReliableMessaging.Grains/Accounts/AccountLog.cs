using Microsoft.Extensions.Logging;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>Structured events of the account grain (source-generated, no boxing on the hot path).</summary>
internal static partial class AccountLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Account {AccountId} opened")]
    public static partial void Opened(ILogger logger, string accountId);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug,
        Message = "Account {AccountId} executed {Kind} {OperationId} of {Amount}: {Status}, balance {BalanceAfter}")]
    public static partial void Executed(ILogger logger, string accountId, OperationKind kind, Guid operationId, long amount, OperationStatus status, long? balanceAfter);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug,
        Message = "Account {AccountId} replayed {Kind} {OperationId}: {Status}")]
    public static partial void Replayed(ILogger logger, string accountId, OperationKind kind, Guid operationId, OperationStatus status);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Account {AccountId} refused operation {OperationId}: ID reused with another kind or amount ({Kind} {Amount})")]
    public static partial void IdReused(ILogger logger, string accountId, Guid operationId, OperationKind kind, long amount);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning,
        Message = "Account {AccountId} refused operation {OperationId}: {Status} (too old to admit, or beyond the clock skew)")]
    public static partial void NotAdmitted(ILogger logger, string accountId, Guid operationId, OperationStatus status);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug,
        Message = "Account {AccountId} refused {Kind} {OperationId} of {Amount}: {Status}")]
    public static partial void Refused(ILogger logger, string accountId, OperationKind kind, Guid operationId, long amount, OperationStatus status);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information,
        Message = "Account {AccountId} debited transfer {TransferId} of {Amount} to {To}; delivering")]
    public static partial void TransferStarted(ILogger logger, string accountId, Guid transferId, string to, long amount);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Information,
        Message = "Account {AccountId} transfer {TransferId} to {To} completed (credit was a replay: {WasReplay})")]
    public static partial void TransferCompleted(ILogger logger, string accountId, Guid transferId, string to, bool wasReplay);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning,
        Message = "Account {AccountId} transfer {TransferId} refused by {To} ({Status}); refunded")]
    public static partial void TransferRefunded(ILogger logger, string accountId, Guid transferId, string to, OperationStatus status);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Warning,
        Message = "Account {AccountId} could not deliver transfer {TransferId} to {To} yet; will retry")]
    public static partial void DeliveryFailed(ILogger logger, Exception exception, string accountId, Guid transferId, string to);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Error,
        Message = "Account {AccountId} transfer {TransferId} of {Amount} to {To} has been pending for {Age}; delivery keeps retrying. Check the destination and the cluster.")]
    public static partial void TransferOverdue(ILogger logger, string accountId, Guid transferId, string to, long amount, TimeSpan age);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Warning,
        Message = "Account {AccountId} transfer {TransferId}: {To} answered {Status}, which time may fix; will retry")]
    public static partial void CreditDeferred(ILogger logger, string accountId, Guid transferId, string to, OperationStatus status);

    [LoggerMessage(EventId = 1029, Level = LogLevel.Error,
        Message = "Account {AccountId} transfer {TransferId}: {To} answered expired for the credit (its record may have been pruned past the journal's retention, or evicted by a version without a journal), so it cannot tell whether the credit landed; not refunded, held pending for an operator")]
    public static partial void CreditUnverifiable(ILogger logger, string accountId, Guid transferId, string to);

    [LoggerMessage(EventId = 1034, Level = LogLevel.Error,
        Message = "Account {AccountId} transfer {TransferId}: {To} answered the credit with status {Status}, which this version does not know (a newer silo's, during an upgrade?), so it cannot tell whether the credit landed; held pending and sent again each retry period, the account's other transfers are delivered")]
    public static partial void CreditAnswerUnrecognized(ILogger logger, string accountId, Guid transferId, string to, int status);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Warning,
        Message = "Account {AccountId} transfer {TransferId}: held transfer resolved as {Outcome} by {Resolution}")]
    public static partial void HeldTransferResolved(ILogger logger, string accountId, Guid transferId, TransferState outcome, string resolution);

    [LoggerMessage(EventId = 1027, Level = LogLevel.Warning,
        Message = "Account {AccountId}: changing the transfer delivery reminder failed; it is treated as unknown and registered again before the next debit")]
    public static partial void ReminderChangeFailed(ILogger logger, Exception exception, string accountId);

    [LoggerMessage(EventId = 1028, Level = LogLevel.Error,
        Message = "Account {AccountId}: transfer delivery failed unexpectedly (a bug); the reminder retries it")]
    public static partial void DeliveryCrashed(ILogger logger, Exception exception, string accountId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning,
        Message = "Account {AccountId}: state write conflict (another activation wrote first); nothing acknowledged, deactivating to reload")]
    public static partial void WriteConflict(ILogger logger, Exception exception, string accountId);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error,
        Message = "Account {AccountId}: state write failed; nothing acknowledged, restored the last persisted state and deactivating")]
    public static partial void WriteFailed(ILogger logger, Exception exception, string accountId);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning,
        Message = "Journal append failed for account {AccountId} ({Unconfirmed} records wait in the window); retrying")]
    public static partial void JournalAppendFailed(ILogger logger, Exception exception, string accountId, long unconfirmed);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Debug,
        Message = "Journal append failed again for account {AccountId} ({Failures} in a row, {Unconfirmed} records wait in the window): {Reason}")]
    public static partial void JournalAppendStillFailing(ILogger logger, string accountId, int failures, long unconfirmed, string reason);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Journal read failed for account {AccountId}")]
    public static partial void JournalReadFailed(ILogger logger, Exception exception, string accountId);
}
