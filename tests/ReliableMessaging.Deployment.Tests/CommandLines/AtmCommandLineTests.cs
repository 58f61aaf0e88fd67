using ReliableMessaging.Atm.Cli;
using ReliableMessaging.Deployment.Tests.Infrastructure;

namespace ReliableMessaging.Deployment.Tests.CommandLines;

/// <summary>The ATM simulator's command line: defaults, the option names scripts and tests use, help, and usage errors.</summary>
public sealed class AtmCommandLineTests
{
    public static readonly string[] EveryOption =
    [
        "--api", "--atms", "--accounts-per-atm", "--duration", "--think-time", "--client-timeout", "--max-attempts", "--max-backoff",
        "--duplicate-rate", "--transfer-ratio", "--attack-ratio", "--ahead-ratio", "--ahead-by", "--shared-accounts", "--retire-after", "--seed", "--cluster-dir", "--cluster-script", "--kill-every",
        "--restart-after", "--pause-every", "--pause-for", "--max-pauses", "--hang-db-path-every", "--max-db-path-hangs", "--step-out-wait", "--fault-overrun", "--postgres-restarts", "--postgres-down", "--storage-faults-every",
        "--settle", "--transfer-wait", "--progress-every", "--throughput-interval", "--summary-json",
    ];

    [Fact]
    public void NoArguments_EveryDefault()
    {
        var (options, error) = AtmCommandLine.Parse([]);

        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal(new Uri("http://127.0.0.1:5080/"), options.Api);
        Assert.Equal((10, 2, 40, 0, 0, 1), (options.Atms, options.AccountsPerAtm, options.MaxAttempts, options.SharedAccounts, options.RetireAfter, options.PostgresRestarts));
        Assert.Equal((0.05, 0.2, 0.0, 0.0), (options.DuplicateRate, options.TransferRatio, options.AttackRatio, options.AheadRatio));
        Assert.Equal(TimeSpan.Zero, options.AheadBy);
        Assert.Equal(
            [60_000, 100, 10_000, 2000, 20_000, 3000, 3000, 0, 15_000, 60_000, 5000],
            new[] { options.Duration, options.ThinkTime, options.ClientTimeout, options.MaxBackoff, options.KillEvery, options.RestartAfter, options.PostgresDown, options.StorageFaultsEvery, options.Settle, options.TransferWait, options.ProgressEvery }
                .Select(span => span.TotalMilliseconds));
        Assert.Equal((0, 30_000, 0, 5000), (options.PauseEvery.TotalMilliseconds, options.PauseFor.TotalMilliseconds, options.MaxPauses, options.ThroughputInterval.TotalMilliseconds));
        Assert.Equal((0, 0, 90_000, 60_000), (options.HangDatabasePathEvery.TotalMilliseconds, options.MaxDatabasePathHangs, options.StepOutWait.TotalMilliseconds, options.FaultOverrun.TotalMilliseconds));
        Assert.Null(options.Seed);
        Assert.Null(options.ClusterDirectory);
        Assert.Null(options.ClusterScript);
        Assert.Null(options.SummaryJsonPath);
    }

    [Fact]
    public void TheChaosRunsCommandLine_ReadsEveryValue()
    {
        var (options, error) = AtmCommandLine.Parse(
        [
            "--api", "http://127.0.0.1:6000", "--atms", "4", "--accounts-per-atm", "3", "--duration", "30s", "--think-time", "0.5s",
            "--client-timeout", "1500ms", "--max-attempts", "7", "--max-backoff", "00:00:04", "--duplicate-rate", "0.5", "--transfer-ratio", "0",
            "--shared-accounts", "3", "--retire-after", "200", "--seed", "-42", "--cluster-dir", "run", "--cluster-script", "c.sh", "--kill-every", "2m", "--restart-after", "1s",
            "--postgres-restarts", "0", "--postgres-down", "2s", "--storage-faults-every", "20s", "--settle", "1h", "--transfer-wait", "30s",
            "--progress-every", "1s", "--summary-json", "out.json", "--pause-every", "5s", "--max-pauses", "1", "--pause-for", "12s",
            "--throughput-interval", "2s", "--attack-ratio", "0.25", "--ahead-ratio", "0.2", "--ahead-by", "9s",
            "--hang-db-path-every", "10s", "--max-db-path-hangs", "1", "--step-out-wait", "60s", "--fault-overrun", "0s",
        ]);

        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal(new Uri("http://127.0.0.1:6000/"), options.Api);
        Assert.Equal((4, 3, 7, 3, 200, 0, -42), (options.Atms, options.AccountsPerAtm, options.MaxAttempts, options.SharedAccounts, options.RetireAfter, options.PostgresRestarts, options.Seed!.Value));
        Assert.Equal((0.5, 0.0, 0.25, 0.2), (options.DuplicateRate, options.TransferRatio, options.AttackRatio, options.AheadRatio));
        Assert.Equal(TimeSpan.FromSeconds(9), options.AheadBy);
        Assert.Equal(
            [30_000, 500, 1500, 4000, 120_000, 1000, 2000, 20_000, 3_600_000, 30_000, 1000],
            new[] { options.Duration, options.ThinkTime, options.ClientTimeout, options.MaxBackoff, options.KillEvery, options.RestartAfter, options.PostgresDown, options.StorageFaultsEvery, options.Settle, options.TransferWait, options.ProgressEvery }
                .Select(span => span.TotalMilliseconds));
        Assert.Equal((5000, 12_000, 1, 2000), (options.PauseEvery.TotalMilliseconds, options.PauseFor.TotalMilliseconds, options.MaxPauses, options.ThroughputInterval.TotalMilliseconds));
        Assert.Equal((10_000, 1, 60_000, 0), (options.HangDatabasePathEvery.TotalMilliseconds, options.MaxDatabasePathHangs, options.StepOutWait.TotalMilliseconds, options.FaultOverrun.TotalMilliseconds));
        Assert.Equal(Path.GetFullPath("run"), options.ClusterDirectory);
        Assert.Equal(Path.GetFullPath("c.sh"), options.ClusterScript);
        Assert.Equal(Path.GetFullPath("out.json"), options.SummaryJsonPath);
    }

    [Theory]
    [InlineData("--bogus", "1")]
    [InlineData("--atms", "0")]
    [InlineData("--step-out-wait", "5m")]
    [InlineData("--step-out-wait", "0s")]
    [InlineData("--atms", "many")]
    [InlineData("--duration", "5x")]
    [InlineData("--client-timeout", "0s")]
    [InlineData("--client-timeout", "5ms")]
    [InlineData("--client-timeout", "25h")]
    [InlineData("--max-backoff", "25h")]
    [InlineData("--duplicate-rate", "1.5")]
    [InlineData("--api", "ftp://host")]
    [InlineData("--atms")]
    public async Task WrongOptionOrValue_OneLineOnStderrAndExitCode2_RunNeverStarts(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var ran = false;

        var exitCode = await AtmCommandLine.InvokeAsync(args, (_, _) => { ran = true; return Task.FromResult(0); }, output, error, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.False(ran);
        Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task Help_ListsEveryOptionWithItsDefault_Exit0()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await AtmCommandLine.InvokeAsync(["--help"], (_, _) => throw new InvalidOperationException("help must not run"), output, error, CancellationToken.None);

        var help = output.ToString();
        Assert.Equal(0, exitCode);
        Assert.All(EveryOption, option => Assert.Contains(option, help, StringComparison.Ordinal));
        var lines = help.Split('\n');
        string Line(string option) => lines.Single(line => line.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
        Assert.Contains("[default: 10]", Line("--atms"), StringComparison.Ordinal);
        Assert.Contains("[default: 60s]", Line("--duration"), StringComparison.Ordinal);
        Assert.Contains("[default: 0.2]", Line("--transfer-ratio"), StringComparison.Ordinal);
        Assert.Contains("[default: http://127.0.0.1:5080/]", Line("--api"), StringComparison.Ordinal);
        Assert.All(EveryOption, option => Assert.Contains("default", Line(option), StringComparison.Ordinal));
    }

    [Fact]
    public async Task BuiltSimulator_UnknownOption_OneLineAndExit2WithoutStackTrace()
    {
        var result = await ProcessRunner.RunAsync("dotnet", [BuiltOutputs.Dll("ReliableMessaging.Atm"), "--no-such-option"], null, TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
    }
}
