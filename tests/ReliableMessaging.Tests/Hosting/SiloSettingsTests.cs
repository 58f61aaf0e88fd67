using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Health;
using ReliableMessaging.Silo.Hosting;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// The silo's own sections, bound as the silo binds them: a misspelt key, or a bare number that binds
/// as days, stops it at start with the setting's name instead of running with something else.
/// </summary>
public sealed class SiloSettingsTests
{
    [Theory]
    // Would keep every record for ever, and never step out.
    [InlineData("Accounts:JournalRetenton", "30.00:00:00", "JournalRetenton")]
    [InlineData("DatabasePath:StepOutAfterr", "00:00:30", "StepOutAfterr")]
    // "60" is sixty days: a stuck delivery retried once in weeks, an alert that never fires, a silo that never steps out.
    [InlineData("Accounts:TransferRetryPeriod", "60", "TransferRetryPeriod")]
    [InlineData("Accounts:TransferAlertAge", "300", "TransferAlertAge")]
    [InlineData("Accounts:TransferAlertAge", "00:00:30", "TransferAlertAge")]
    [InlineData("DatabasePath:StepOutAfter", "30", "StepOutAfter")]
    [InlineData("DatabasePath:ProbeTimeout", "5", "ProbeTimeout")]
    public void Silo_SettingThatWouldBeIgnoredOrMisread_RefusedNamingIt(string key, string value, string named)
    {
        var refused = Assert.ThrowsAny<Exception>(() => Read(key, value));

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Silo_Defaults_Accepted()
    {
        Read("Accounts:TransferRetryPeriod", "00:01:00");
        Read("DatabasePath:StepOutAfter", "00:00:30");
    }

    private static void Read(string key, string value)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build());
        ReliableMessagingSiloExtensions.BindValidated<AccountOptions>(services, AccountOptions.SectionName, options => options.Validate());
        ReliableMessagingSiloExtensions.BindValidated<DatabasePathOptions>(services, DatabasePathOptions.SectionName, options => options.Validate());
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<AccountOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<DatabasePathOptions>>().Value;
    }
}
