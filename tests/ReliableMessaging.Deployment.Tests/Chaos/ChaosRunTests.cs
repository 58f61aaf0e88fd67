using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ReliableMessaging.Deployment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReliableMessaging.Deployment.Tests.Chaos;

/// <summary>
/// The short chaos run: scripts/cluster.sh starts three silos and the front end as processes on a
/// throwaway PostgreSQL and free ports; the ATM simulator plays against it while it SIGKILLs a silo,
/// restarts PostgreSQL and cuts the database connections, then reconciles every outcome, transfers
/// between the run's accounts included (each accepted one completed, money conserved).
/// </summary>
public sealed class ChaosRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task AtmSimulator_ThreeSilosKillPostgresRestartAndConnectionKills_EveryOutcomeReconcilesWithNoViolation()
    {
        var clock = Stopwatch.StartNew();
        var work = Path.Combine(Path.GetTempPath(), $"rm-chaos-{Guid.NewGuid():N}");
        var runDirectory = Path.Combine(work, "run");
        var summaryPath = Path.Combine(work, "summary.json");
        var apiPort = FreePorts.One();
        // One block for both: silo ports first, gateways right after, so they cannot overlap.
        var siloPorts = FreePorts.Block(6);
        var environment = new Dictionary<string, string>
        {
            // Dead silos' rows go within seconds here (the cluster profile keeps them minutes), so the
            // run also shows that membership cleanup is wired to configuration and really happens.
            ["Orleans__Membership__DefunctSiloExpiration"] = "00:00:05",
            ["Orleans__Membership__DefunctSiloMinimumRetention"] = "00:00:05",
            ["Orleans__Membership__DefunctSiloCleanupPeriod"] = "00:00:05",
        };

        try
        {
            var start = await ClusterScriptAsync(environment, StartTimeout,
                "--run-dir", runDirectory,
                "--pg-dir", Path.Combine(work, "postgres"),
                "--pg-port", FreePorts.One().ToString(CultureInfo.InvariantCulture),
                "--silo-port", siloPorts.ToString(CultureInfo.InvariantCulture),
                "--gateway-port", (siloPorts + 3).ToString(CultureInfo.InvariantCulture),
                "--api-port", apiPort.ToString(CultureInfo.InvariantCulture),
                "--configuration", BuiltOutputs.Configuration,
                "--no-build",
                "--owner-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                "start", "3");
            Assert.True(start.ExitCode == 0, $"cluster.sh start failed:\n{start.Output}\n{LogTails(runDirectory)}");
            output.WriteLine($"cluster started in {clock.Elapsed.TotalSeconds:0} s");

            // The front end wants a bearer token: the cluster script mints one for its key.
            var token = await ClusterScriptAsync(null, TimeSpan.FromMinutes(1), "--run-dir", runDirectory, "token", "--expires-in", "1h", "--subject", "chaos-atms");
            Assert.True(token.ExitCode == 0, $"cluster.sh token failed:\n{token.Output}");
            var atmEnvironment = new Dictionary<string, string> { ["RM_API_TOKEN"] = token.Output.Trim().Split('\n')[^1].Trim() };

            var atm = await ProcessRunner.RunAsync("dotnet",
                [
                    BuiltOutputs.Dll("ReliableMessaging.Atm"),
                    "--api", $"http://127.0.0.1:{apiPort}",
                    // Hot accounts: every ATM on the same three accounts, each taking several times
                    // more operations than its window holds, so outcomes are verified from the journal.
                    "--atms", "6",
                    "--shared-accounts", "3",
                    "--think-time", "20ms",
                    "--duration", "30s",
                    "--kill-every", "20s",
                    "--restart-after", "3s",
                    "--postgres-restarts", "1",
                    "--postgres-down", "2s",
                    "--storage-faults-every", "20s",
                    "--client-timeout", "3s",
                    "--max-attempts", "40",
                    "--transfer-ratio", "0.3",
                    "--transfer-wait", "30s",
                    "--seed", "4242",
                    "--cluster-dir", runDirectory,
                    "--summary-json", summaryPath,
                ],
                atmEnvironment,
                RunTimeout,
                output.WriteLine);
            Assert.True(atm.ExitCode == 0, $"the ATM simulator exited with {atm.ExitCode} (timed out: {atm.TimedOut}):\n{atm.Output}\n{LogTails(runDirectory)}");

            using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryPath));
            var figures = summary.RootElement;
            Assert.Equal(0, figures.GetProperty("violationCount").GetInt32());
            Assert.True(figures.GetProperty("siloKills").GetInt64() >= 1, "no silo was killed");
            Assert.True(figures.GetProperty("siloRestarts").GetInt64() >= 1, "no killed silo was restarted");
            Assert.True(figures.GetProperty("postgresRestarts").GetInt64() >= 1, "PostgreSQL was not restarted");
            Assert.True(figures.GetProperty("storageFaults").GetInt64() >= 1, "no database connections were cut");
            Assert.True(figures.GetProperty("succeeded").GetInt64() > 0, "nothing succeeded");
            Assert.True(figures.GetProperty("replays").GetInt64() > 0, "no retry or duplicate was answered from the record");
            Assert.True(figures.GetProperty("transfersCompleted").GetInt64() > 0, "no transfer completed");
            Assert.Equal(figures.GetProperty("transfersAccepted").GetInt64(), figures.GetProperty("transfersCompleted").GetInt64());
            Assert.Equal(0, figures.GetProperty("expired").GetInt64());
            Assert.True(figures.GetProperty("succeeded").GetInt64() > 3 * 128, "the hot accounts did not outgrow their windows (128 records)");
            output.WriteLine($"chaos run done at {clock.Elapsed.TotalSeconds:0} s");

            // The journal audit: every account's balance equals the sum of its journal, no record missing.
            var audit = await ClusterScriptAsync(null, TimeSpan.FromMinutes(2), "--run-dir", runDirectory, "audit");
            output.WriteLine(audit.Output);
            Assert.True(audit.ExitCode == 0, $"the journal audit failed:\n{audit.Output}");
            Assert.Contains("0 differences, 0 unreachable", audit.Output, StringComparison.Ordinal);

            // Every dead generation's row is removed once past the (shortened) retention.
            var deadline = Stopwatch.StartNew();
            string membership;
            do
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                membership = (await ClusterScriptAsync(null, TimeSpan.FromMinutes(1), "--run-dir", runDirectory, "membership")).Output;
            }
            while (membership.Contains(" Dead ", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(40));

            Assert.DoesNotContain(" Dead ", membership, StringComparison.Ordinal);
            Assert.Equal(3, membership.Split('\n').Count(line => line.Contains(" Active ", StringComparison.Ordinal)));
        }
        finally
        {
            var stop = await ClusterScriptAsync(null, TimeSpan.FromMinutes(2), "--run-dir", runDirectory, "stop");
            output.WriteLine(stop.Output);
            output.WriteLine($"total {clock.Elapsed.TotalSeconds:0} s");
            TryDelete(work);
        }
    }

    private static Task<ProcessResult> ClusterScriptAsync(IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, params string[] arguments) =>
        ProcessRunner.RunAsync("bash", [RepositoryPaths.Combine("scripts", "cluster.sh"), .. arguments], environment, timeout);

    private static string LogTails(string runDirectory)
    {
        if (!Directory.Exists(runDirectory))
        {
            return string.Empty;
        }

        return string.Join('\n', Directory.GetFiles(runDirectory, "*.log").Order().Select(log =>
            $"--- {Path.GetFileName(log)}\n{string.Join('\n', File.ReadLines(log).TakeLast(25))}"));
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; the processes are already stopped.
        }
        catch (UnauthorizedAccessException)
        {
            // PostgreSQL's files belong to the postgres user when running as root; the OS cleans /tmp.
        }
    }
}
