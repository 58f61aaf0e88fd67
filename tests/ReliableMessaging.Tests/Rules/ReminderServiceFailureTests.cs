using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// A transfer start whose reminder the reminder service refuses "for now" reports a retryable storage
/// error (nothing is debited before the reminder exists); a refusal that would repeat stays an error.
/// The exceptions are built the way Orleans 10.4.2's LocalReminderService builds them.
/// </summary>
public sealed class ReminderServiceFailureTests
{
    public static TheoryData<Exception> RetryLater => new()
    {
        // A registration that lost a race with another one ("Please try again later").
        new ReminderException("Could not register reminder to reminder table due to a race. Please try again later."),
        // The service is still loading its range after the silo's start.
        new OrleansException("Reminder Service is still initializing and it is taking a long time. Please retry again later.", new TimeoutException()),
        // Its first loads failed because PostgreSQL was restarting (the reminder table's translated error).
        new OrleansException(
            "ReminderService failed initial load of reminders and cannot guarantee that the service will be eventually start without manual intervention or restarting the silo.",
            new AccountStorageException("A reminder could not be read: the database is restarting. Nothing was debited; retry with the same ID.")),
    };

    public static TheoryData<Exception> NotRetryable => new()
    {
        new OrleansException("ReminderService failed initial load of reminders.", new InvalidCastException("column \"payload\" is of type text")),
        new OrleansException("Reminder service is not available."),
        new InvalidOperationException("status"),
        new ArgumentOutOfRangeException("entry", "Reminder period must be greater than zero."),
    };

    [Theory]
    [MemberData(nameof(RetryLater))]
    public void ReminderServiceAsksToRetryLater_ReportedAsRetryableStorageError(Exception failure)
    {
        Assert.True(ReminderServiceFailure.IsTransient(failure));

        var reported = ReminderServiceFailure.ToStorageException(failure);

        Assert.False(reported.IsConflict);
        Assert.Null(reported.InnerException); // Orleans' exceptions need not cross to the caller.
        Assert.Contains("reminder could not be registered", reported.Message, StringComparison.Ordinal);
        Assert.Contains("retry with the same ID", reported.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NotRetryable))]
    public void FailureThatWouldRepeat_NotTranslated(Exception failure) =>
        Assert.False(ReminderServiceFailure.IsTransient(failure));
}
