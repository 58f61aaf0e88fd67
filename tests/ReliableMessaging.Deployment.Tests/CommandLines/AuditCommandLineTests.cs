using System.Globalization;
using ReliableMessaging.Deployment.Tests.Infrastructure;

namespace ReliableMessaging.Deployment.Tests.CommandLines;

/// <summary>The audit's documented exit codes hold when it cannot run at all: 2 and one line, never a crash.</summary>
public sealed class AuditCommandLineTests
{
    [Theory]
    [InlineData]
    [InlineData("resolve-held-transfer", "alice", "0190f0f0-0000-7000-8000-000000000001", "completed", "the credit landed")]
    public async Task BuiltAudit_DatabaseRefusesConnections_OneLineAndExit2WithoutStackTrace(params string[] args)
    {
        // Nothing listens there: the client's gateway list (read from the database) cannot be read.
        var database = string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={FreePorts.One()};Database=reliablemessaging;Username=postgres;Timeout=2");

        var result = await ProcessRunner.RunAsync("dotnet", [BuiltOutputs.Dll("ReliableMessaging.Audit"), .. args],
            new Dictionary<string, string> { ["ConnectionStrings__ReliableMessaging"] = database }, TimeSpan.FromSeconds(90));

        Assert.False(result.TimedOut, result.Output);
        Assert.Equal(2, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.Single(result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
