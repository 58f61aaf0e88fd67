using System.Diagnostics;
using System.Globalization;
using System.Net;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Deployment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReliableMessaging.Deployment.Tests.GrayFailures;

/// <summary>
/// A silo whose own way to the database hangs (a proxy on its path that stops delivering anything,
/// closing nothing) while its peers' works. Orleans keeps such a silo: it answers its peers' probes.
/// Its database path monitor takes it out of the cluster, its accounts move, and every operation
/// counts once. A database path that hangs for every silo at once, under load, makes nobody leave
/// and nobody declared dead. Real processes through scripts/cluster.sh, with the monitor's timings
/// shortened (the defaults are in silo-config).
/// </summary>
[StartEarly(3)]
public sealed class HungDatabasePathTests(ITestOutputHelper output)
{
    private const int GraySilo = 2;
    private static readonly TimeSpan StepOutAfter = TimeSpan.FromSeconds(10);

    // Loose for a noisy shared machine: the step-out after StepOutAfter, a shutdown whose database
    // writes time out, and the peers declaring the silo dead.
    private static readonly TimeSpan MoveBound = TimeSpan.FromSeconds(100);

    [Fact]
    public async Task OneSilosDatabasePathHangs_ThatSiloStepsOut_ItsAccountMovesAndCountsEveryOperationOnce_EveryPathHungUnderLoadMakesNobodyLeave()
    {
        var environment = new Dictionary<string, string>
        {
            // A proxy (ReliableMessaging.FaultProxy) on each silo's way to PostgreSQL: `hang-db-path K` hangs silo K's.
            ["RM_DB_PATH_PROXIES"] = "1",
            ["DatabasePath__ProbeInterval"] = "00:00:01",
            ["DatabasePath__ProbeTimeout"] = "00:00:02",
            ["DatabasePath__StepOutAfter"] = StepOutAfter.ToString("c", CultureInfo.InvariantCulture),
        };
        await using var cluster = await ProcessCluster.StartAsync(output, environment);
        using var http = new HttpClient { BaseAddress = cluster.ApiUri, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", await cluster.TokenAsync("hung-path-test"));

        // 1. Every silo's way to PostgreSQL hangs for longer than StepOutAfter while deposits are in flight:
        // every silo considers leaving and none does, and none is declared dead. (Each statement that times
        // out makes Npgsql cancel it synchronously on the same hung path; without ThreadPoolFloor the silos
        // starved and one was voted dead once the database answered again, measured under heavier load and
        // a longer hang: docs/deployment.md. This lighter load passed without the floor too, so the floor's
        // evidence is that measurement, not this test.)
        var membershipBefore = await HangEveryPathUnderLoadAsync(cluster, http, StepOutAfter + TimeSpan.FromSeconds(8));
        var status = await cluster.RunAsync("status");
        Assert.True(status.ExitCode == 0, $"a process left while every database path hung:\n{status.Output}\n{cluster.LogTails()}");
        Assert.Contains(", 0 reach it): ", cluster.LogLines(line => line.Contains("staying in", StringComparison.Ordinal)), StringComparison.Ordinal);

        // Time for any vote held back during the hang to reach the membership table, and for its silo to learn it.
        await Task.Delay(TimeSpan.FromSeconds(15));
        // Against the table as it was just before the hang: cluster.sh starts a silo declared dead while it
        // joined once more (a loaded host, its peers' probes unanswered), and that start's Dead row stays.
        var membership = await cluster.MembershipAsync();
        var newlyDead = Rows(membership, " Dead ").Except(Rows(membershipBefore, " Dead ")).ToList();
        var active = Rows(membership, " Active ");
        Assert.True(newlyDead.Count == 0 && active.Count == 3 && active.SequenceEqual(Rows(membershipBefore, " Active ")),
            $"a silo was declared dead after every database path hung:\nbefore the hang:\n{membershipBefore}\nafter:\n{membership}\n"
            + cluster.LogLines(line => line.Contains("stalled", StringComparison.Ordinal), 3));
        Assert.True((await cluster.RunAsync("status")).ExitCode == 0, cluster.LogTails());

        // 2. An account on the silo whose path is about to hang, with an operation recorded.
        var account = await OpenAccountOnSiloAsync(cluster, http, GraySilo);
        var first = Guid.CreateVersion7();
        Assert.Equal((HttpStatusCode.OK, false), await ApiDeposits.DepositAsync(http, account, first, 100));

        // 3. The path hangs. The next operation is retried with its key, as a client does, until it is answered.
        var hang = await cluster.RunAsync("hang-db-path", GraySilo.ToString(CultureInfo.InvariantCulture));
        Assert.True(hang.ExitCode == 0, hang.Output);
        var hung = Stopwatch.StartNew();
        var second = Guid.CreateVersion7();
        (HttpStatusCode Status, bool Replayed) answer;
        var answers = new List<HttpStatusCode>();
        do
        {
            answer = await ApiDeposits.DepositAsync(http, account, second, 10);
            answers.Add(answer.Status);
            if (answer.Status != HttpStatusCode.OK)
            {
                // A client's pause between retries (the client library backs off further).
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }
        while (answer.Status != HttpStatusCode.OK && hung.Elapsed < MoveBound);

        var tally = string.Join(", ", answers.CountBy(status => status).Select(count => $"{(int)count.Key} x{count.Value}"));
        output.WriteLine($"the account took its operation {hung.Elapsed.TotalSeconds:0.0} s after the path hung; answers before: {tally}");
        Assert.True(answer.Status == HttpStatusCode.OK,
            $"no answer within {MoveBound} ({tally})\n{cluster.LogLines(line => line.Contains("ReliableMessaging.Silo.Health", StringComparison.Ordinal), 20)}\n{cluster.LogTails()}");
        // Until then, each answer was the retryable one, within the front end's deadline: never a hang (408
        // here, the client's own timeout) and never a 500 (a failure mapped to "not retryable").
        Assert.True(answers.SkipLast(1).All(status => status == HttpStatusCode.ServiceUnavailable), $"answers other than 503 before the 200: {tally}");

        // The gray silo left on its own, and said why; the others stayed.
        var exit = await cluster.RunAsync("wait-exit", GraySilo.ToString(CultureInfo.InvariantCulture), "60");
        Assert.True(exit.ExitCode == 0, $"silo {GraySilo} still runs: {exit.Output}\n{cluster.LogTails()}");
        Assert.Contains("stepping out of the cluster", await File.ReadAllTextAsync(Path.Combine(cluster.RunDirectory, $"silo-{GraySilo}.log")), StringComparison.Ordinal);
        var lines = (await cluster.RunAsync("status")).Output.Split('\n');
        Assert.Contains(lines, line => line.StartsWith("silo 1: running", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("silo 3: running", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith($"silo {GraySilo}: down", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith($"database path of silo {GraySilo}: hung", StringComparison.Ordinal));

        // 4. Each operation counted once: both retries replay, and the balance and the statement agree
        // (a front end may still try the gone silo's gateway until membership says it is dead: 503, retried).
        Assert.Equal((HttpStatusCode.OK, true), await ApiDeposits.DepositRetryingAsync(http, account, first, 100));
        Assert.Equal((HttpStatusCode.OK, true), await ApiDeposits.DepositRetryingAsync(http, account, second, 10));
        using var snapshot = await ApiDeposits.ReadJsonAsync(http, $"accounts/{account}");
        Assert.Equal(110, snapshot.RootElement.GetProperty("balance").GetInt64());
        using var statement = await ApiDeposits.ReadJsonAsync(http, $"accounts/{account}/operations");
        var ids = statement.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("operationId").GetGuid()).ToList();
        Assert.Equal([first, second], ids);

        // 5. The path heals: the silo starts again through it and rejoins (its start needs the database).
        var heal = await cluster.RunAsync("heal-db-path", GraySilo.ToString(CultureInfo.InvariantCulture));
        Assert.True(heal.ExitCode == 0, heal.Output);
        var restart = await cluster.RunAsync("restart", GraySilo.ToString(CultureInfo.InvariantCulture));
        Assert.True(restart.ExitCode == 0, $"silo {GraySilo} did not start again through its healed path:\n{restart.Output}\n{cluster.LogTails()}");
    }

    /// <summary>The membership table's rows (address, generation, status, name) whose status is <paramref name="status"/>, in order.</summary>
    private static List<string> Rows(string membership, string status) =>
        membership.Split('\n').Select(line => line.Trim()).Where(line => line.Contains(status, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Hangs every silo's database path for <paramref name="hangFor"/> under load; returns the membership table as it was just before.</summary>
    private async Task<string> HangEveryPathUnderLoadAsync(ProcessCluster cluster, HttpClient http, TimeSpan hangFor)
    {
        var accounts = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var account = "load-" + Guid.NewGuid().ToString("N")[..12];
            Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"accounts/{account}", null)).StatusCode);
            accounts.Add(account);
        }

        using var stop = new CancellationTokenSource();
        var answered = 0;
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<HttpStatusCode, int>();
        var load = accounts.Select(account => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, _) = await ApiDeposits.DepositAsync(http, account, Guid.CreateVersion7(), 1);
                statuses.AddOrUpdate(status, 1, (_, count) => count + 1);
                if (status == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref answered);
                }
            }
        })).ToList();

        // Under load before the hang: on a busy machine a cluster just started can take seconds to
        // answer its first writes, so wait for answers rather than a fixed time.
        var warming = Stopwatch.StartNew();
        while (Volatile.Read(ref answered) < accounts.Count && warming.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        Assert.True(Volatile.Read(ref answered) >= accounts.Count,
            $"the load got {answered} answers in {warming.Elapsed.TotalSeconds:0} s before the hang: {string.Join(", ", statuses.Select(pair => $"{(int)pair.Key} x{pair.Value}"))}");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var membershipBefore = await cluster.MembershipAsync();
        // Every path at once: one after the other took 4-7 s per command on a loaded machine, and a
        // silo whose path hung that much earlier rightly stepped out while its peers still worked.
        await SwitchEveryPathAsync(cluster, "hang-db-path");
        await Task.Delay(hangFor);
        await SwitchEveryPathAsync(cluster, "heal-db-path");

        await stop.CancelAsync();
        await Task.WhenAll(load);
        output.WriteLine($"load: {answered} deposits answered");
        return membershipBefore;
    }

    private static async Task SwitchEveryPathAsync(ProcessCluster cluster, string command)
    {
        var switches = await Task.WhenAll(Enumerable.Range(1, 3).Select(silo => cluster.RunAsync(command, silo.ToString(CultureInfo.InvariantCulture))));
        Assert.All(switches, result => Assert.True(result.ExitCode == 0, result.Output));
    }

    private async Task<string> OpenAccountOnSiloAsync(ProcessCluster cluster, HttpClient http, int silo)
    {
        await using var locator = await TestClusterClient.ConnectAsync(cluster);
        var management = locator.Client.GetGrain<IManagementGrain>(0);
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var account = "hung-" + Guid.NewGuid().ToString("N")[..12];
            Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"accounts/{account}", null)).StatusCode);
            var address = await management.GetActivationAddress(locator.Client.GetGrain<IAccountGrain>(account));
            if (address is not null && address.Endpoint.Port - cluster.SiloBasePort + 1 == silo)
            {
                output.WriteLine($"account {account} is on silo {silo} (attempt {attempt + 1})");
                return account;
            }
        }

        throw new InvalidOperationException($"no account landed on silo {silo} in 60 tries");
    }
}
