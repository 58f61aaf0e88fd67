using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>How the silo sets Orleans' reminder service for transfer delivery.</summary>
internal static class ReminderServiceSettings
{
    /// <summary>
    /// How often the reminder service reads its range of the ring again. When its first loads after a
    /// silo's start both fail (the silo restarted while PostgreSQL did), it refuses every registration,
    /// so every transfer start on that silo, until its next periodic read: 5 minutes by Orleans'
    /// default. One range read a minute per silo keeps that outage short.
    /// </summary>
    public static readonly TimeSpan RangeReadPeriod = TimeSpan.FromMinutes(1);

    public static void Apply(ReminderOptions reminders, AccountOptions accounts)
    {
        ArgumentNullException.ThrowIfNull(reminders);
        ArgumentNullException.ThrowIfNull(accounts);

        // Reminders may fire as often as transfer delivery retries: Orleans' minimum follows ours.
        reminders.MinimumReminderPeriod = Min(reminders.MinimumReminderPeriod, accounts.TransferRetryPeriod);
        reminders.RefreshReminderListPeriod = Min(reminders.RefreshReminderListPeriod, RangeReadPeriod);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
