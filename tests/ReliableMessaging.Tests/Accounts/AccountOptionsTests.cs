using System.ComponentModel.DataAnnotations;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Accounts;

/// <summary>Settings that make no sense stop the silo at start, with the setting's name.</summary>
public sealed class AccountOptionsTests
{
    [Fact]
    public void Defaults_AreValid() => new AccountOptions().Validate();

    [Theory]
    [InlineData(nameof(AccountOptions.JournalFlushDelay), -1)]
    [InlineData(nameof(AccountOptions.JournalFlushDelay), 1001)]
    [InlineData(nameof(AccountOptions.TransferRetryPeriod), 999)]
    [InlineData(nameof(AccountOptions.TransferAlertAge), 0)]
    [InlineData(nameof(AccountOptions.MaxClockSkew), -1)]
    public void Validate_OutOfRange_RefusedNamingTheSetting(string setting, int milliseconds)
    {
        var options = new AccountOptions();
        typeof(AccountOptions).GetProperty(setting)!.SetValue(options, TimeSpan.FromMilliseconds(milliseconds));

        var refused = Assert.Throws<ValidationException>(options.Validate);

        Assert.Contains(setting, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ZeroFlushDelay_Allowed() => new AccountOptions { JournalFlushDelay = TimeSpan.Zero }.Validate();
}
