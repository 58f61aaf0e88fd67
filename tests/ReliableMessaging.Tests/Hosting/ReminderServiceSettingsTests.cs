using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Hosting;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// Orleans' reminder service as the silo sets it: reminders as frequent as transfer retries, and a
/// range read every minute, so a service whose first loads failed (a silo restarted during a PostgreSQL
/// restart) refuses transfer starts for at most about a minute, not Orleans' default 5.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReminderServiceSettingsTests(ClusterFixture fixture)
{
    [Fact]
    public void Silo_AsConfiguredByTheProject_ReadsItsReminderRangeEveryMinute()
    {
        var silo = Assert.IsType<InProcessSiloHandle>(fixture.Cluster.GetActiveSilos().First());

        var reminders = silo.SiloHost.Services.GetRequiredService<IOptions<ReminderOptions>>().Value;

        Assert.Equal(ReminderServiceSettings.RangeReadPeriod, reminders.RefreshReminderListPeriod);
    }

    [Fact]
    public void Apply_OrleansDefaults_RangeReadEveryMinute_MinimumPeriodFollowsTransferRetries()
    {
        var reminders = new ReminderOptions();
        Assert.Equal(TimeSpan.FromMinutes(5), reminders.RefreshReminderListPeriod); // Orleans' own default, for the record.

        ReminderServiceSettings.Apply(reminders, new AccountOptions { TransferRetryPeriod = TimeSpan.FromSeconds(2) });

        Assert.Equal(TimeSpan.FromMinutes(1), reminders.RefreshReminderListPeriod);
        Assert.Equal(TimeSpan.FromSeconds(2), reminders.MinimumReminderPeriod);
        Assert.True(reminders.ReminderLoadingWindow >= reminders.RefreshReminderListPeriod);
    }

    [Fact]
    public void Apply_ShorterSettingsAlreadyThere_KeptAsTheyAre()
    {
        var reminders = new ReminderOptions { RefreshReminderListPeriod = TimeSpan.FromSeconds(10), MinimumReminderPeriod = TimeSpan.FromSeconds(1) };

        ReminderServiceSettings.Apply(reminders, new AccountOptions());

        Assert.Equal(TimeSpan.FromSeconds(10), reminders.RefreshReminderListPeriod);
        Assert.Equal(TimeSpan.FromSeconds(1), reminders.MinimumReminderPeriod);
    }
}
