using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Deployment.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReliableMessaging.Deployment.Tests.GrayFailures;

/// <summary>
/// A silo that stops answering (SIGSTOP: alive, sockets open) in the middle of an account's write:
/// the cluster declares it dead, the account moves and takes new operations on another silo, and
/// when the old silo wakes up it finds itself dead and stops, acknowledging nothing it still tries.
/// Real processes through scripts/cluster.sh with the cluster profile's failure detection.
/// </summary>
[StartEarly(2)]
public sealed class StalledSiloTests(ITestOutputHelper output)
{
    // Loose bounds for a noisy shared machine; the measured figures are in docs/deployment.md.
    private static readonly TimeSpan MoveBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopAfterResumeBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PausedSilo_HoldingAnAccountMidWrite_AccountMovesAndTheWokenSiloStopsAcknowledgingNothing()
    {
        await using var cluster = await ProcessCluster.StartAsync(output);
        using var http = new HttpClient { BaseAddress = cluster.ApiUri, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", await cluster.TokenAsync("gray-failure-test"));
        var account = "gray-" + Guid.NewGuid().ToString("N")[..12];
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync($"accounts/{account}", null)).StatusCode);
        var opening = Guid.CreateVersion7();
        Assert.Equal(HttpStatusCode.OK, (await ApiDeposits.DepositAsync(http, account, opening, 100)).Status);

        // Which silo holds the account, and a client that reaches that silo only.
        int silo;
        await using (var locator = await TestClusterClient.ConnectAsync(cluster))
        {
            var address = await locator.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(locator.Client.GetGrain<IAccountGrain>(account));
            Assert.NotNull(address);
            silo = address.Endpoint.Port - cluster.SiloBasePort + 1;
        }

        output.WriteLine($"account {account} is on silo {silo}");
        await using var direct = await TestClusterClient.ConnectToSiloAsync(cluster, silo, responseTimeout: TimeSpan.FromSeconds(40));
        var stale = direct.Client.GetGrain<IAccountGrain>(account);
        // Also opens the connection to that silo now, while it still answers.
        Assert.Equal(OperationLookupStatus.Found, (await stale.GetOperation(opening)).Status);

        // 1. A write in flight: the silo has sent it to PostgreSQL, which holds it behind a table lock.
        var first = Guid.CreateVersion7();
        Task<(HttpStatusCode Status, bool Replayed)> firstAnswer;
        var paused = Stopwatch.StartNew();
        await using (var database = new NpgsqlConnection(cluster.ConnectionString))
        {
            await database.OpenAsync();
            await using var hold = await database.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE orleansstorage IN EXCLUSIVE MODE", database, hold))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            firstAnswer = ApiDeposits.DepositAsync(http, account, first, 10);
            await WaitForBlockedWriteAsync(cluster.ConnectionString);

            // 2. The silo stops answering with that write unacknowledged; then PostgreSQL commits it while the silo sleeps.
            var pause = await cluster.RunAsync("pause", silo.ToString(CultureInfo.InvariantCulture));
            Assert.True(pause.ExitCode == 0, pause.Output);
            paused.Restart();
            await hold.RollbackAsync();
        }

        // Work queued on the stalled process itself: its activation, stale by then, can only try it once woken.
        var queued = Guid.CreateVersion7();
        var queuedAnswer = Capture(stale.Deposit(queued, 1000));

        // 3. The account moves: a new operation succeeds on another silo, and readiness reports the degradation.
        var degraded = WatchForDegradedAsync(cluster.ApiUri, MoveBound);
        var second = Guid.CreateVersion7();
        (HttpStatusCode Status, bool Replayed) secondAnswer;
        var secondAnswers = new List<HttpStatusCode>();
        do
        {
            secondAnswer = await ApiDeposits.DepositAsync(http, account, second, 100);
            secondAnswers.Add(secondAnswer.Status);
        }
        while (secondAnswer.Status != HttpStatusCode.OK && paused.Elapsed < MoveBound * 2);

        // Until it moved, every answer was the retryable one within the front end's deadline: never a hang
        // (408 here, the client's own timeout) nor a 500.
        Assert.True(secondAnswers.SkipLast(1).All(status => status == HttpStatusCode.ServiceUnavailable), "answers before the move: " + string.Join(", ", secondAnswers));

        var moved = paused.Elapsed;
        output.WriteLine($"the account took a new operation {moved.TotalSeconds:0.0} s after the pause");
        Assert.Equal(HttpStatusCode.OK, secondAnswer.Status);
        Assert.True(moved < MoveBound, $"the account took {moved.TotalSeconds:0.0} s to move");
        Assert.True(await degraded, "/health/ready never reported Degraded while a silo did not answer");
        var membership = await cluster.MembershipAsync();
        output.WriteLine(membership);
        Assert.Contains(membership.Split('\n'), line => line.StartsWith($"127.0.0.1:{cluster.SiloBasePort + silo - 1} ", StringComparison.Ordinal) && line.Contains(" Dead ", StringComparison.Ordinal));

        // 4. The old silo wakes up, finds itself declared dead and stops; nothing it tried on stale state is acknowledged.
        var resume = await cluster.RunAsync("resume", silo.ToString(CultureInfo.InvariantCulture));
        Assert.True(resume.ExitCode == 0, resume.Output);
        var exit = await cluster.RunAsync("wait-exit", silo.ToString(CultureInfo.InvariantCulture), ((int)StopAfterResumeBound.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        Assert.True(exit.ExitCode == 0, $"the woken silo did not stop: {exit.Output}\n{cluster.LogTails()}");
        Assert.Contains("I have been told I am dead", await File.ReadAllTextAsync(Path.Combine(cluster.RunDirectory, $"silo-{silo}.log")), StringComparison.Ordinal);

        // Either the stale activation tried it (its write carries the ETag from before the second deposit,
        // loses to the new activation's, and nothing is acknowledged: AccountStorageException), or the woken
        // silo already knew the account had moved and passed it on, and it ran on the current state.
        var (queuedOutcome, queuedBalance) = await queuedAnswer;
        output.WriteLine($"the stalled silo's queued deposit: {queuedOutcome} (balance after: {queuedBalance})");
        var queuedExecuted = queuedOutcome == nameof(OperationStatus.Succeeded);
        if (queuedExecuted)
        {
            Assert.Equal(100 + 10 + 100 + 1000, queuedBalance);
        }

        // In flight when the silo stopped answering: the front end's deadline answers it, retryable.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await firstAnswer).Status);

        // The write PostgreSQL committed during the pause counts once: its retry is a replay.
        var firstRetry = await ApiDeposits.DepositAsync(http, account, first, 10);
        Assert.Equal((HttpStatusCode.OK, true), firstRetry);

        // The queued deposit counts once: if it was not acknowledged, it never executed and its retry executes it now.
        var queuedRetry = await ApiDeposits.DepositAsync(http, account, queued, 1000);
        Assert.Equal((HttpStatusCode.OK, queuedExecuted), queuedRetry);
        Assert.Equal((HttpStatusCode.OK, true), await ApiDeposits.DepositAsync(http, account, queued, 1000));

        using var snapshot = await ApiDeposits.ReadJsonAsync(http, $"accounts/{account}");
        Assert.Equal(100 + 10 + 100 + 1000, snapshot.RootElement.GetProperty("balance").GetInt64());
        using var statement = await ApiDeposits.ReadJsonAsync(http, $"accounts/{account}/operations");
        var ids = statement.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("operationId").GetGuid()).ToList();
        Assert.Equal([opening, first, second, queued], ids);
        Assert.Equal(1210, statement.RootElement.GetProperty("items").EnumerateArray().Last().GetProperty("balanceAfter").GetInt64());
    }

    // The outcome's status and balance, or the exception's type: anything but "Succeeded" means not acknowledged.
    private static async Task<(string Outcome, long? BalanceAfter)> Capture(Task<OperationResult> call)
    {
        try
        {
            var result = await call;
            return (result.Status.ToString(), result.BalanceAfter);
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException or AccountStorageException or OperationCanceledException)
        {
            return (exception.GetType().Name, null);
        }
    }

    private static async Task WaitForBlockedWriteAsync(string connectionString)
    {
        await using var database = new NpgsqlConnection(connectionString);
        await database.OpenAsync();
        await using var blocked = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%orleans_storage_write%'", database);
        var deadline = Stopwatch.StartNew();
        while ((long)(await blocked.ExecuteScalarAsync())! == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the account's write never reached PostgreSQL");
            await Task.Delay(50);
        }
    }

    private static async Task<bool> WatchForDegradedAsync(Uri api, TimeSpan within)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            try
            {
                var body = await http.GetStringAsync("health/ready");
                if (body.Contains("Degraded", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // 503 while the cluster is unreachable: not the state this waits for.
            }
            catch (TaskCanceledException)
            {
                // No answer in time: try again.
            }

            await Task.Delay(250);
        }

        return false;
    }
}
