using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Which failures of Orleans' reminder service mean "not now" rather than a bug. A transfer
/// registers its reminder before its debit, so such a failure leaves nothing debited and the start
/// is safe to retry: it reaches the caller as a retryable <see cref="AccountStorageException"/>
/// (503 over HTTP) instead of an unmapped <see cref="OrleansException"/> (500, never retried).
/// </summary>
internal static class ReminderServiceFailure
{
    /// <summary>
    /// True for the reminder service's own "retry later" answers: a registration that lost a race
    /// (<see cref="ReminderException"/>), a service still loading its range of the ring after a
    /// restart (an <see cref="OrleansException"/> over a <see cref="TimeoutException"/>), and a
    /// service whose initial load failed because the database could not serve (an exception whose
    /// chain holds the reminder table's <see cref="AccountStorageException"/>). A load that failed
    /// for any other reason is not one: it fails the same way on every retry.
    /// </summary>
    public static bool IsTransient(Exception exception) =>
        exception is ReminderException
        || exception is OrleansException { InnerException: TimeoutException }
        || AccountStorageException.Find(exception) is not null;

    /// <summary>The retryable error a start reports for <paramref name="failure"/>; nothing was debited.</summary>
    public static AccountStorageException ToStorageException(Exception failure) =>
        AccountStorageException.Find(failure) is { } storage
            ? new AccountStorageException($"The transfer's delivery reminder could not be registered: {storage.Message}")
            : new AccountStorageException(
                $"The transfer's delivery reminder could not be registered ({failure.Message}). Nothing was debited; retry with the same ID.");
}
