namespace ReliableMessaging.Contracts.Accounts;

/// <summary>
/// The outcome of a deposit or withdrawal. Persisted: never renumber a member.
/// Outcomes below 10 are recorded with the operation ID and replayed on every retry;
/// refusals from 10 on change nothing and record nothing.
/// </summary>
[GenerateSerializer, Alias("rm.OperationStatus")]
public enum OperationStatus : byte
{
    /// <summary>Applied; <see cref="OperationResult.BalanceAfter"/> is the balance right after it.</summary>
    Succeeded = 0,

    /// <summary>A withdrawal larger than the balance. Recorded: a retry stays refused even after a later deposit.</summary>
    InsufficientFunds = 1,

    /// <summary>The account was never opened.</summary>
    AccountNotFound = 10,

    /// <summary>The amount is zero, negative, or would overflow the balance.</summary>
    InvalidAmount = 11,

    /// <summary>The operation ID is not a UUID version 7.</summary>
    InvalidOperationId = 12,

    /// <summary>The operation ID was already used on this account with another kind or amount.</summary>
    OperationIdReused = 13,

    /// <summary>
    /// A new operation whose ID is too old to be admitted: older than <c>Accounts:MaxOperationAge</c>
    /// (stale), or past the journal's retention, where a record, had it run, may have been pruned.
    /// Never executed.
    /// </summary>
    OperationExpired = 14,

    /// <summary>The operation ID's timestamp is further in the future than the allowed clock skew.</summary>
    OperationIdFromFuture = 15,

    /// <summary>The account ID does not match <see cref="AccountIdFormat"/>.</summary>
    InvalidAccountId = 16,

    /// <summary>The account already has the maximum number of transfers in delivery: try later.</summary>
    TooManyPendingTransfers = 17,

    /// <summary>A transfer whose source and destination are the same account.</summary>
    TransferToSelf = 18,
}
