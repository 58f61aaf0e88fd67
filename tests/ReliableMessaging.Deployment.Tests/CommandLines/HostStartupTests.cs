using System.Globalization;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Deployment.Tests.Infrastructure;

namespace ReliableMessaging.Deployment.Tests.CommandLines;

/// <summary>
/// The built silo and front end that cannot start say why in one line on standard error, with an exit
/// code a supervisor can act on (78: fix the setting; 69: the database, a restart may help), instead
/// of aborting (134) with an unhandled exception's stack trace.
/// </summary>
public sealed class HostStartupTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>A database nobody listens on: nothing these processes do can reach a real one.</summary>
    private static string NoDatabase() =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={FreePorts.One()};Database=reliablemessaging;Username=postgres;Timeout=2");

    private static async Task<ProcessResult> RunAsync(string project, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string> { ["ConnectionStrings__ReliableMessaging"] = NoDatabase() };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var result = await ProcessRunner.RunAsync("dotnet", [BuiltOutputs.Dll(project)], environment, Timeout);
        Assert.False(result.TimedOut, result.Output);
        return result;
    }

    private static void AssertOneLine(ProcessResult result, int exitCode, string startsWith, string naming)
    {
        Assert.True(exitCode == result.ExitCode, result.Output);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(startsWith, line, StringComparison.Ordinal);
        Assert.Contains(naming, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReliableMessaging.Silo", "Accounts__JournalRetenton", "30.00:00:00", "JournalRetenton")]
    [InlineData("ReliableMessaging.Silo", "Accounts__TransferRetryPeriod", "soon", "Accounts:TransferRetryPeriod")]
    [InlineData("ReliableMessaging.Silo", "ConnectionStrings__ReliableMessaging", "Hots=db", "ConnectionStrings:ReliableMessaging")]
    [InlineData("ReliableMessaging.Silo", "DatabasePath__ProbeInterval", "00:05:00", "DatabasePath:ProbeInterval")]
    [InlineData("ReliableMessaging.Silo", "Orleans__AdvertisedIPAddress", "silo-1.internal", "Orleans:AdvertisedIPAddress")]
    [InlineData("ReliableMessaging.Silo", "Orleans__GatewayPort", "11111", "Orleans:SiloPort and GatewayPort must differ")]
    [InlineData("ReliableMessaging.Silo", "Orleans__Tls__CertificatePath", "/nonexistent/silo.pfx", "Orleans:Tls:CertificatePath")]
    [InlineData("ReliableMessaging.Api", "Auth__Authorty", "https://id.example", "Authorty")]
    [InlineData("ReliableMessaging.Api", "ConnectionStrings__ReliableMessaging", "Hots=db", "ConnectionStrings:ReliableMessaging")]
    public async Task Built_SettingThatCannotBeUsed_OneLineNamingIt_Exit78(string project, string key, string value, string naming)
    {
        var result = await RunAsync(project, (key, value));

        AssertOneLine(result, StartupFailure.SettingsExitCode, "settings: ", naming);
    }

    [Fact]
    public async Task BuiltSilo_DatabaseRefusesConnections_OneLine_Exit69()
    {
        var result = await RunAsync("ReliableMessaging.Silo");

        AssertOneLine(result, StartupFailure.DatabaseExitCode, "database: Failed to connect to 127.0.0.1:", "ConnectionStrings:ReliableMessaging");
    }
}
