using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using ReliableMessaging.Benchmarks.Harness;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Benchmarks;

namespace ReliableMessaging.Benchmarks;

/// <summary>
/// One run, one PostgreSQL: the pgbench baseline and every scenario side by side, then the report.
/// </summary>
public sealed class BenchmarkRun(string repositoryRoot, BenchmarkSettings settings)
{
    private const int Accounts = 10_000;
    private const int WindowAccounts = 32;
    private static readonly int[] Concurrencies = [1, 8, 32, 64];
    private readonly List<BenchmarkRow> _rows = [];
    private readonly List<string> _notes = [];
    private readonly List<AccountMemory> _memory = [];
    private readonly List<string> _profiles = [];

    // What the run has started, oldest first: an interrupted run stops it all (AbortAsync).
    private readonly List<IAsyncDisposable> _started = [];
    private string? _work;

    public async Task<string> RunAsync()
    {
        await using var postgres = await StartedAsync(LocalPostgres.StartAsync(repositoryRoot));
        Console.WriteLine($"PostgreSQL {await postgres.VersionAsync()} on 127.0.0.1:{postgres.Port}");
        var work = _work = Directory.CreateTempSubdirectory("rm-bench-").FullName;

        Dictionary<int, Comparison[]> baseline;
        double payloadBytes;
        await using (var cluster = await StartedAsync(Cluster.StartAsync(repositoryRoot, postgres, settings.WindowSize, withFrontEnd: settings.Runs("replays") || settings.Runs("http"))))
        // The same system with telemetry off, idle while the other measures, so both share every round.
        await using (var quiet = settings.Runs("telemetry")
            ? await StartedAsync(Cluster.StartAsync(repositoryRoot, postgres, settings.WindowSize, withFrontEnd: settings.Runs("http"), telemetry: false))
            : null)
        {
            var accounts = await OpenAccountsAsync(cluster.Client, Accounts);
            var variants = new List<UniqueVariant>();
            if (settings.Runs("peer"))
            {
                var plain = await OpenPlainAccountsAsync(cluster.Client, Accounts);
                variants.Add(new("peer", "peer: plain grain (one WriteStateAsync per withdrawal, no operation IDs, not reentrant), 10,000 accounts", "peer (plain grain)",
                    async (_, _) => Expect(await plain[Random.Shared.Next(plain.Length)].Withdraw(1))));
            }

            // Opened even when unique is not run: the http scenario's telemetry-off front end uses them.
            var quietAccounts = quiet is not null ? await OpenAccountsAsync(quiet.Client, Accounts) : null;
            if (quietAccounts is not null)
            {
                variants.Add(new("telemetry off", "unique, telemetry off (Telemetry:Enabled=false in the silo)", "same, telemetry off",
                    (_, _) => SucceededAsync(quietAccounts[Random.Shared.Next(quietAccounts.Length)].Withdraw(Guid.CreateVersion7(), 1))));
            }

            // An account in production carries a full window: measured from the first step on, so every
            // concurrency writes the same state (opened, they would grow from 0 to 32 records through the
            // sweep), and pgbench the same payload. The fill's journal records are written before it starts.
            Console.WriteLine($"Filling the windows of {accounts.Length:N0} accounts ({settings.WindowSize} operations each)...");
            await FillAllAsync(accounts, settings.WindowSize, accountsAtOnce: 64);
            if (quietAccounts is not null)
            {
                await FillAllAsync(quietAccounts, settings.WindowSize, accountsAtOnce: 64);
            }

            await SyncJournalsAsync(accounts);
            if (quietAccounts is not null)
            {
                await SyncJournalsAsync(quietAccounts);
            }

            payloadBytes = await AverageStateBytesAsync(postgres, cluster.ServiceId);
            await PgBench.PrepareAsync(postgres, (int)Math.Round(payloadBytes));
            baseline = await RunUniqueWithBaselinesAsync(postgres, cluster.ServiceId, accounts, variants, work);
            payloadBytes = await AverageStateBytesAsync(postgres, cluster.ServiceId);

            if (settings.Runs("hot"))
            {
                await RunHotAccountAsync(cluster.Client);
            }

            if (settings.Runs("replays"))
            {
                await RunReplaysAsync(cluster.Client, accounts);
            }

            if (cluster.FrontEnd is { } frontEnd)
            {
                await RunHttpAsync(frontEnd, cluster.ApiToken!, quiet?.FrontEnd is { } quietFrontEnd ? (quietFrontEnd, quiet.ApiToken!) : null, baseline);
            }
        }

        if (settings.Runs("steady"))
        {
            await RunSteadyStateAsync(postgres);
        }

        if (settings.Runs("window"))
        {
            await RunWindowSizesAsync(postgres);
        }

        Directory.Delete(work, recursive: true);
        return await ReportAsync(postgres, payloadBytes);
    }

    /// <summary>
    /// Stops what an interrupted run started (its silos and front ends, then its PostgreSQL) and deletes its
    /// scratch folder; the run itself is left to fail on what it no longer has.
    /// </summary>
    public async Task AbortAsync()
    {
        IAsyncDisposable[] started;
        lock (_started)
        {
            started = [.. _started];
            _started.Clear();
        }

        foreach (var resource in Enumerable.Reverse(started))
        {
            await resource.DisposeAsync();
        }

        if (_work is { } work && Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<T> StartedAsync<T>(Task<T> starting)
        where T : IAsyncDisposable
    {
        var resource = await starting;
        lock (_started)
        {
            _started.Add(resource);
        }

        return resource;
    }

    /// <summary>
    /// The unique scenario, its variants (the peer, telemetry off) and both pgbench baselines, back to back at each
    /// concurrency, so a noisy neighbour weighs on all alike, in several rounds (unique first in odd rounds, its
    /// variants first in even ones); the table shows the round whose ratio to the prepared
    /// baseline is the median, and the notes list every round. pgbench writes the average state the unique scenario
    /// has grown to by then: at least what the unique scenario wrote.
    /// </summary>
    private async Task<Dictionary<int, Comparison[]>> RunUniqueWithBaselinesAsync(
        LocalPostgres postgres, string serviceId, IAccountGrain[] accounts, List<UniqueVariant> variants, string work)
    {
        var baseline = new Dictionary<int, Comparison[]>();
        var simpleRows = new List<BenchmarkRow>();
        var preparedRows = new List<BenchmarkRow>();
        var uniqueRows = new List<BenchmarkRow>();
        var variantRows = variants.Select(_ => new List<BenchmarkRow>()).ToList();
        foreach (var concurrency in Concurrencies)
        {
            var rounds = new List<(LoadResult? Unique, LoadResult[] Variants, LoadResult Simple, LoadResult Prepared, int Payload)>();
            for (var round = 1; round <= settings.Rounds; round++)
            {
                LoadResult? unique = null;
                var profiled = round == 1;
                async Task MeasureUniqueAsync()
                {
                    if (settings.Runs("unique"))
                    {
                        await ResetProfileAsync(postgres, profiled);
                        unique = await MeasureAsync($"unique withdrawals, Orleans client, c={concurrency}, round {round}", concurrency,
                            (_, _) => SucceededAsync(accounts[Random.Shared.Next(accounts.Length)].Withdraw(Guid.CreateVersion7(), 1)));
                        await NoteProfileAsync(postgres, profiled, $"PostgreSQL statements, unique c={concurrency} (round 1)");
                    }
                }

                var measured = new LoadResult[variants.Count];
                async Task MeasureVariantsAsync()
                {
                    for (var v = 0; v < variants.Count; v++)
                    {
                        var profiledVariant = profiled && variants[v].Key == "peer";
                        await ResetProfileAsync(postgres, profiledVariant);
                        measured[v] = await MeasureAsync($"{variants[v].Key}, c={concurrency}, round {round}", concurrency, variants[v].Operation);
                        await NoteProfileAsync(postgres, profiledVariant, $"PostgreSQL statements, {variants[v].Key} c={concurrency} (round 1)");
                    }
                }

                // The order alternates by round: a step that runs second inherits the first's leftovers
                // (autovacuum of the rows it updated, the journal's last batches), no property of its own.
                if (round % 2 == 1)
                {
                    await MeasureUniqueAsync();
                    await MeasureVariantsAsync();
                }
                else
                {
                    await MeasureVariantsAsync();
                    await MeasureUniqueAsync();
                }

                var payload = (int)Math.Round(await AverageStateBytesAsync(postgres, serviceId));
                var simple = await RunPgBenchAsync(postgres, concurrency, payload, PgBenchProtocol.Simple, work);
                await ResetProfileAsync(postgres, profiled);
                var prepared = await RunPgBenchAsync(postgres, concurrency, payload, PgBenchProtocol.Prepared, work);
                await NoteProfileAsync(postgres, profiled, $"PostgreSQL statements, pgbench -M prepared c={concurrency} (round 1)");
                rounds.Add((unique, measured, simple, prepared, payload));
            }

            var chosen = rounds
                .OrderBy(r => r.Unique is { } u ? u.Throughput / r.Prepared.Throughput : r.Prepared.Throughput)
                .ElementAt(rounds.Count / 2);
            Comparison[] comparisons =
            [
                new(PgBench.Describe(PgBenchProtocol.Simple), chosen.Simple.Throughput),
                new(PgBench.Describe(PgBenchProtocol.Prepared), chosen.Prepared.Throughput),
            ];
            baseline[concurrency] = comparisons;
            simpleRows.Add(new($"baseline: {comparisons[0].Name}, same write ({chosen.Payload} B payload, 10,000 rows)", chosen.Simple));
            preparedRows.Add(new($"baseline: {comparisons[1].Name}, same write ({chosen.Payload} B payload, 10,000 rows)", chosen.Prepared));
            // Each ratio in the table is the median of its own per-round ratios: the chosen round is the
            // median of one ratio only, and its other ratios are not theirs.
            Comparison MedianOf(Comparison baselineOf, Func<(LoadResult? Unique, LoadResult[] Variants, LoadResult Simple, LoadResult Prepared, int Payload), double> ratio) =>
                baselineOf with { MedianRatio = Median(rounds.Select(ratio).ToList()) };
            for (var v = 0; v < variants.Count; v++)
            {
                var index = v;
                variantRows[v].Add(new(variants[v].Scenario, chosen.Variants[v],
                    MedianOf(comparisons[0], r => r.Variants[index].Throughput / r.Simple.Throughput),
                    MedianOf(comparisons[1], r => r.Variants[index].Throughput / r.Prepared.Throughput)));
            }

            if (chosen.Unique is { } median)
            {
                uniqueRows.Add(new("unique: withdrawals over 10,000 accounts, windows full (Orleans client)", median,
                [
                    MedianOf(comparisons[0], r => r.Unique!.Throughput / r.Simple.Throughput),
                    MedianOf(comparisons[1], r => r.Unique!.Throughput / r.Prepared.Throughput),
                    .. variants.Select((variant, v) => MedianOf(new Comparison(variant.ComparedAs, chosen.Variants[v].Throughput), r => r.Unique!.Throughput / r.Variants[v].Throughput)),
                ]));
                var toSimple = rounds.Select(r => r.Unique!.Throughput / r.Simple.Throughput).ToList();
                var toPrepared = rounds.Select(r => r.Unique!.Throughput / r.Prepared.Throughput).ToList();
                var perRound = toSimple.Zip(toPrepared, (a, b) => string.Create(CultureInfo.InvariantCulture, $"{a:F2} / {b:F2}"));
                _notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"unique c={concurrency}: ratio to pgbench / pgbench -M prepared in each round: {string.Join(", ", perRound)}; median of each: {Median(toSimple):F2} / {Median(toPrepared):F2}."));
                for (var v = 0; v < variants.Count; v++)
                {
                    var index = v;
                    NoteRatios(rounds.Select(r => r.Unique!.Throughput / r.Variants[index].Throughput), $"unique c={concurrency} / {variants[v].ComparedAs}");
                }
            }
        }

        _rows.AddRange(simpleRows);
        _rows.AddRange(preparedRows);
        _rows.AddRange(uniqueRows);
        foreach (var rows in variantRows)
        {
            _rows.AddRange(rows);
        }

        return baseline;
    }

    private void NoteRatios(IEnumerable<double> ratios, string name)
    {
        var measured = ratios.ToList();
        if (measured.Count > 0)
        {
            _notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name} in each round: {string.Join(", ", measured.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}; median {Median(measured):F2}."));
        }
    }

    private static async Task ResetProfileAsync(LocalPostgres postgres, bool profiled)
    {
        if (profiled)
        {
            await StatementProfile.ResetAsync(postgres);
        }
    }

    private async Task NoteProfileAsync(LocalPostgres postgres, bool profiled, string name)
    {
        if (profiled)
        {
            var profile = await StatementProfile.DescribeAsync(postgres);
            Console.WriteLine($"  {name}: {profile}");
            _profiles.Add($"{name}: {profile}.");
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private async Task<LoadResult> RunPgBenchAsync(LocalPostgres postgres, int concurrency, int payload, PgBenchProtocol protocol, string work)
    {
        var result = await PgBench.RunAsync(postgres, concurrency, payload, protocol, settings.Duration, work);
        Console.WriteLine($"  {PgBench.Describe(protocol)}, c={concurrency} ({payload} B): {result.Throughput:F0}/s p50 {result.P50Ms:F2} ms p99 {result.P99Ms:F2} ms");
        return result;
    }

    private static async Task<double> AverageStateBytesAsync(LocalPostgres postgres, string serviceId) =>
        await postgres.ScalarAsync<double>($"SELECT avg(octet_length(payloadbinary)) FROM orleansstorage WHERE serviceid = '{serviceId}' AND grainidextensionstring LIKE 'bench-%'");

    private async Task RunHotAccountAsync(IClusterClient client)
    {
        var hot = client.GetGrain<IAccountGrain>("hot-account");
        await hot.Open();
        await hot.Deposit(Guid.CreateVersion7(), long.MaxValue / 2);
        var sequential = await MeasureAsync("hot account, c=1", 1, (_, _) => SucceededAsync(hot.Withdraw(Guid.CreateVersion7(), 1)));
        _rows.Add(new("hot: one account, one write per operation (c=1)", sequential));
        foreach (var concurrency in new[] { 32, 64 })
        {
            var result = await MeasureAsync($"hot account, c={concurrency}", concurrency, (_, _) => SucceededAsync(hot.Withdraw(Guid.CreateVersion7(), 1)));
            _rows.Add(new("hot: one account, group commit", result, new Comparison("one write per op (c=1)", sequential.Throughput)));
        }
    }

    private async Task RunReplaysAsync(IClusterClient client, IAccountGrain[] accounts)
    {
        var recorded = new (IAccountGrain Account, Guid Id)[1000];
        for (var i = 0; i < recorded.Length; i++)
        {
            recorded[i] = (accounts[i], Guid.CreateVersion7());
            await recorded[i].Account.Withdraw(recorded[i].Id, 1);
        }

        // One caller: the round trip through the silo with no write, the latency the unique scenario adds to pgbench's.
        foreach (var concurrency in new[] { 1, 32, 64 })
        {
            var result = await MeasureAsync($"replays, Orleans client, c={concurrency}", concurrency, async (_, sequence) =>
            {
                var (account, id) = recorded[sequence % recorded.Length];
                var answer = await account.Withdraw(id, 1);
                if (!answer.IsReplay)
                {
                    throw new InvalidOperationException("Expected a replay.");
                }
            });
            _rows.Add(new("replays: recorded operations answered again (Orleans client, no write)", result));
        }

        _ = client;
    }

    private async Task RunHttpAsync(Uri frontEnd, string token, (Uri FrontEnd, string Token)? quiet, Dictionary<int, Comparison[]> baseline)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = frontEnd };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var quietHandler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var quietHttp = new HttpClient(quietHandler) { BaseAddress = quiet?.FrontEnd ?? frontEnd };
        quietHttp.DefaultRequestHeaders.Authorization = new("Bearer", quiet?.Token ?? token);

        Task PostAsync(string accountId, Guid key, long amount, bool replay = false) => PostWithAsync(http, accountId, key, amount, replay);

        static async Task PostWithAsync(HttpClient http, string accountId, Guid key, long amount, bool replay = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/accounts/{accountId}/withdrawals", UriKind.Relative))
            {
                Content = new StringContent($$"""{"amount":{{amount}}}""", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            request.Headers.Add("Idempotency-Key", key.ToString());
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
            if (replayed != replay)
            {
                throw new InvalidOperationException(replay ? "Expected a replay." : "Expected a new operation, got a replay.");
            }
        }

        foreach (var concurrency in settings.Runs("http") ? Concurrencies : [])
        {
            var result = await MeasureAsync($"unique withdrawals, HTTP, c={concurrency}", concurrency,
                (_, _) => PostAsync($"bench-{Random.Shared.Next(Accounts)}", Guid.CreateVersion7(), 1));
            if (quiet is null)
            {
                _rows.Add(new("http: unique withdrawals over 10,000 accounts (HTTP front end)", result, baseline[concurrency]));
                continue;
            }

            var quietResult = await MeasureAsync($"unique withdrawals, HTTP, telemetry off, c={concurrency}", concurrency,
                (_, _) => PostWithAsync(quietHttp, $"bench-{Random.Shared.Next(Accounts)}", Guid.CreateVersion7(), 1));
            _rows.Add(new("http: unique withdrawals over 10,000 accounts (HTTP front end)", result, [.. baseline[concurrency], new("same, telemetry off", quietResult.Throughput)]));
            _rows.Add(new("http, telemetry off (front end and silo)", quietResult, baseline[concurrency]));
        }

        if (settings.Runs("http"))
        {
            // Every request above carried a bearer token that the front end validated; this is that share.
            var microseconds = await TokenValidationCost.MicrosecondsPerTokenAsync(20_000);
            _notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"Bearer token validation (HS256, signature, issuer, audience, lifetime; the check the front end makes on every request in http): {microseconds:0.0} µs per request on one thread, measured in the load generator's process; compare with the front end's CPU ms/op in http."));
        }

        if (!settings.Runs("replays"))
        {
            return;
        }

        var recorded = Enumerable.Range(0, 1000).Select(i => ($"bench-{i}", Guid.CreateVersion7())).ToArray();
        foreach (var (accountId, key) in recorded)
        {
            await PostAsync(accountId, key, 1);
        }

        foreach (var concurrency in new[] { 32, 64 })
        {
            var result = await MeasureAsync($"replays, HTTP, c={concurrency}", concurrency, (_, sequence) =>
            {
                var (accountId, key) = recorded[sequence % recorded.Length];
                return PostAsync(accountId, key, 1, replay: true);
            });
            _rows.Add(new("replays: recorded operations answered again (HTTP front end, no write)", result));
        }
    }

    /// <summary>
    /// Steady state: accounts that have each executed 10,000 operations (their windows full, the rest
    /// in the journal) against accounts opened just before the measurement, back to back in rounds
    /// on one silo with the configured window, so a noisy neighbour weighs on both alike.
    /// </summary>
    private async Task RunSteadyStateAsync(LocalPostgres postgres)
    {
        const int History = 10_000;
        await using var cluster = await StartedAsync(Cluster.StartAsync(repositoryRoot, postgres, settings.WindowSize, withFrontEnd: false));
        var steady = await OpenAccountsAsync(cluster.Client, WindowAccounts, "bench-steady-");
        Console.WriteLine($"Giving {WindowAccounts} accounts a history of {History:N0} operations each...");
        await FillAllAsync(steady, History);
        await SyncJournalsAsync(steady);
        var rounds = new List<(LoadResult Fresh, LoadResult Steady)>();

        // An even number of rounds, so that each side runs first as often as the other.
        for (var round = 1; round <= settings.Rounds + (settings.Rounds % 2); round++)
        {
            var fresh = await OpenAccountsAsync(cluster.Client, WindowAccounts, $"bench-fresh-{round}-");
            Task<LoadResult> MeasureFresh() => MeasureAsync($"fresh accounts, c=32, round {round}", 32,
                (_, _) => SucceededAsync(fresh[Random.Shared.Next(fresh.Length)].Withdraw(Guid.CreateVersion7(), 1)));
            Task<LoadResult> MeasureSteady() => MeasureAsync($"accounts with {History:N0} operations each, c=32, round {round}", 32,
                (_, _) => SucceededAsync(steady[Random.Shared.Next(steady.Length)].Withdraw(Guid.CreateVersion7(), 1)));

            // The order alternates by round: whichever runs second inherits the first's leftovers
            // (autovacuum of the rows it updated, a grown journal), which is no property of either.
            if (round % 2 == 1)
            {
                var freshResult = await MeasureFresh();
                rounds.Add((freshResult, await MeasureSteady()));
            }
            else
            {
                var steadyResult = await MeasureSteady();
                rounds.Add((await MeasureFresh(), steadyResult));
            }
        }

        // The steady accounts' state as their writes leave it (right after the fill it still holds the fill's in-flight tail).
        var bytes = await postgres.ScalarAsync<double>(
            $"SELECT avg(octet_length(payloadbinary)) FROM orleansstorage WHERE serviceid = '{cluster.ServiceId}' AND grainidextensionstring LIKE 'bench-steady-%'");
        var ratios = rounds.Select(r => r.Steady.Throughput / r.Fresh.Throughput).ToList();
        var chosen = rounds.OrderBy(r => r.Steady.Throughput / r.Fresh.Throughput).ElementAt(rounds.Count / 2);
        // 32 callers on 32 accounts fill a fresh account's window within the step's first second: the two
        // sides differ in the length of their history (in the journal), not in the state they write.
        Comparison[] fresher = [new($"fresh accounts (opened just before; short history)", chosen.Fresh.Throughput, Median(ratios))];
        _rows.Add(new($"steady: fresh accounts (opened just before; their windows of {settings.WindowSize} full within the warm-up), unique withdrawals over {WindowAccounts} accounts", chosen.Fresh));
        _rows.Add(new($"steady: accounts with {History:N0} operations each ({bytes:N0} B state), unique withdrawals over {WindowAccounts} accounts", chosen.Steady, fresher));
        _notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"steady state / fresh accounts in each round (fresh first in odd rounds, steady first in even ones): {string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}; median {Median(ratios):F2}."));
    }

    private async Task RunWindowSizesAsync(LocalPostgres postgres)
    {
        foreach (var window in new[] { 100, 1000, 10_000 })
        {
            await using var cluster = await StartedAsync(Cluster.StartAsync(repositoryRoot, postgres, window, withFrontEnd: false));
            var accounts = await OpenAccountsAsync(cluster.Client, WindowAccounts);

            // Marginal costs, so what the first accounts warm up (connection buffers, pooled
            // serialization buffers sized by the state) is not charged to the account: a second set
            // is opened after the first, and filled after the first.
            var heapOpen = await ManagedHeap.LiveBytesAsync(cluster.SiloProcessId);
            var second = await OpenAccountsAsync(cluster.Client, WindowAccounts, "bench-memory-");
            var heapSecondOpen = await ManagedHeap.LiveBytesAsync(cluster.SiloProcessId);
            Console.WriteLine($"Filling {2 * WindowAccounts} accounts to a full window of {window}...");
            await FillAllAsync(accounts, window);
            var heapFirstFull = await ManagedHeap.LiveBytesAsync(cluster.SiloProcessId);
            await FillAllAsync(second, window);
            var heapSecondFull = await ManagedHeap.LiveBytesAsync(cluster.SiloProcessId);
            var openBytes = (heapSecondOpen - heapOpen) / WindowAccounts;
            var memory = new AccountMemory(window, openBytes, openBytes + (heapSecondFull - heapFirstFull) / WindowAccounts);
            Console.WriteLine($"  window {window}: {memory.OpenBytes:N0} B per open account, {memory.FullBytes:N0} B per full account (reachable heap)");
            _memory.Add(memory);

            var bytes = await postgres.ScalarAsync<double>(
                $"SELECT avg(octet_length(payloadbinary)) FROM orleansstorage WHERE serviceid = '{cluster.ServiceId}'");
            var result = await MeasureAsync($"window {window}: unique withdrawals over {WindowAccounts} full accounts, c=32", 32,
                (_, _) => SucceededAsync(accounts[Random.Shared.Next(accounts.Length)].Withdraw(Guid.CreateVersion7(), 1)));
            _rows.Add(new($"window {window:N0}: {bytes:N0} B per state write; unique withdrawals over 32 full accounts", result));
        }
    }

    private static async Task FillAllAsync(IAccountGrain[] accounts, int operations, int accountsAtOnce = 8)
    {
        foreach (var chunk in accounts.Chunk(accountsAtOnce))
        {
            await Task.WhenAll(chunk.Select(account => FillAsync(account, operations)));
        }
    }

    /// <summary>Waits until every committed record of the accounts is in the journal: a fill's tail must not land in the next step.</summary>
    private static async Task SyncJournalsAsync(IAccountGrain[] accounts)
    {
        foreach (var chunk in accounts.Chunk(64))
        {
            await Task.WhenAll(chunk.Select(account => account.SyncJournal()));
        }
    }

    private static async Task FillAsync(IAccountGrain account, int operations)
    {
        // Many in flight on one account: group commit packs them into few writes.
        var inFlight = new List<Task>(256);
        for (var i = 0; i < operations; i++)
        {
            inFlight.Add(account.Withdraw(Guid.CreateVersion7(), 1));
            if (inFlight.Count == 256)
            {
                await Task.WhenAll(inFlight);
                inFlight.Clear();
            }
        }

        await Task.WhenAll(inFlight);
    }

    private static async Task<IAccountGrain[]> OpenAccountsAsync(IClusterClient client, int count, string prefix = "bench-")
    {
        Console.WriteLine($"Opening {count:N0} accounts...");
        var accounts = Enumerable.Range(0, count).Select(i => client.GetGrain<IAccountGrain>($"{prefix}{i}")).ToArray();
        foreach (var chunk in accounts.Chunk(64))
        {
            await Task.WhenAll(chunk.Select(async account =>
            {
                await account.Open();
                await account.Deposit(Guid.CreateVersion7(), long.MaxValue / 4);
            }));
        }

        return accounts;
    }

    private static async Task<IPlainAccountGrain[]> OpenPlainAccountsAsync(IClusterClient client, int count)
    {
        Console.WriteLine($"Opening {count:N0} plain (peer) accounts...");
        var accounts = Enumerable.Range(0, count).Select(i => client.GetGrain<IPlainAccountGrain>($"plain-{i}")).ToArray();
        foreach (var chunk in accounts.Chunk(64))
        {
            await Task.WhenAll(chunk.Select(account => account.Deposit(long.MaxValue / 4)));
        }

        return accounts;
    }

    /// <summary>
    /// Counts an operation only when it did what the step measures: a refusal (insufficient funds, a
    /// limit) costs no write, and counted as done it would inflate the step's throughput.
    /// </summary>
    private static async Task SucceededAsync(Task<OperationResult> operation)
    {
        var result = await operation;
        if (result.Status != OperationStatus.Succeeded || result.IsReplay)
        {
            throw new InvalidOperationException($"The operation answered {result.Status} (replay: {result.IsReplay}), not a new success.");
        }
    }

    /// <summary>The peer's withdrawal answers false when it refused (and wrote nothing).</summary>
    private static void Expect(bool withdrawn)
    {
        if (!withdrawn)
        {
            throw new InvalidOperationException("The plain grain refused the withdrawal (insufficient funds): nothing was written.");
        }
    }

    private async Task<LoadResult> MeasureAsync(string name, int concurrency, Func<int, long, Task> operation)
    {
        var result = await LoadRunner.RunAsync(concurrency, settings.Warmup, settings.Duration, operation);
        Console.WriteLine($"  {name}: {result.Throughput:F0}/s p50 {result.P50Ms:F2} ms p99 {result.P99Ms:F2} ms errors {result.Errors}");
        if (result.Errors > 0)
        {
            _notes.Add($"{name}: {result.Errors} errors during measurement.");
        }

        // A step that mostly failed measured its failures, not the scenario: the run stops instead of reporting it.
        if (result.Errors > Math.Max(10, result.Operations / 100))
        {
            throw new InvalidOperationException($"{name}: {result.Errors} operations failed against {result.Operations} that succeeded; the step measured nothing it claims.");
        }

        return result;
    }

    private async Task<string> ReportAsync(LocalPostgres postgres, double payloadBytes)
    {
        var text = new StringBuilder();
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        text.AppendLine("# Benchmarks");
        text.AppendLine();
        var postgresVersion = await postgres.VersionAsync();
        var machine = string.Create(CultureInfo.InvariantCulture,
            $"Run on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {Environment.ProcessorCount} cores ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):F0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, PostgreSQL {postgresVersion} (fsync on).");
        text.AppendLine(machine + " PostgreSQL, the silo, the front end and the load generator share the machine.");
        text.AppendLine();
        var command = string.Create(CultureInfo.InvariantCulture,
            $"Command: `scripts/benchmark.sh{settings.CommandLineSuffix}` (warm-up {settings.Warmup.TotalSeconds:F0} s, {settings.Duration.TotalSeconds:F0} s measured per step, window {settings.WindowSize}, {settings.Rounds} rounds of the unique scenario beside its baselines at each concurrency). With rounds, a row's throughput, latencies and CPU line come from the round whose unique / pgbench -M prepared ratio (steady / fresh in steady) is the median, and each ratio is the median of that comparison's own ratios in the rounds (every round in the notes).");
        text.AppendLine(command + " Ratios compare throughputs measured in this same run.");
        text.AppendLine();
        text.AppendLine("| Scenario | Concurrency | Throughput (ops/s) | p50 (ms) | p99 (ms) | Compared with | Ratio |");
        text.AppendLine("|---|---:|---:|---:|---:|---|---:|");
        foreach (var row in _rows)
        {
            var compared = string.Join("; ", row.Comparisons.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name} {c.Throughput:N0}/s")));
            var ratio = string.Join("; ", row.Comparisons.Select(c => c.RatioOf(row.Result).ToString("F2", CultureInfo.InvariantCulture)));
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {row.Result.Concurrency} | {row.Result.Throughput:N0} | {row.Result.P50Ms:F2} | {row.Result.P99Ms:F2} | {compared} | {ratio} |");
        }

        text.AppendLine();
        text.AppendLine("Where the CPU went during each step (sampled from /proc: cores busy in the system's processes (the silo, the front end, this run's PostgreSQL server and its sessions, pgbench, the load generator) and on the whole machine, and CPU milliseconds per operation by process):");
        text.AppendLine();
        foreach (var row in _rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Scenario}, c={row.Result.Concurrency}: {row.Result.Cpu}");
        }

        if (_memory.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Account memory in the silo: the bytes a full GC finds reachable on its managed heap (read over EventPipe). After {WindowAccounts} accounts have warmed the silo up, {WindowAccounts} more are opened (the open account's cost); after the first {WindowAccounts} have filled their windows, the second {WindowAccounts} fill theirs (the window's cost, added to it); each difference is divided by {WindowAccounts}. Capacity the fills leave behind (up to 256 operations were in flight per account) is included.");
            text.AppendLine();
            text.AppendLine("| Window | Open account (B) | Account with a full window (B) |");
            text.AppendLine("|---:|---:|---:|");
            foreach (var memory in _memory)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {memory.WindowSize:N0} | {memory.OpenBytes:N0} | {memory.FullBytes:N0} |");
            }
        }

        if (_profiles.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("What PostgreSQL did per grain-state write (pg_stat_statements with nested statements tracked, reset before the step; warm-up included; a function's top-level time includes its nested statements):");
            text.AppendLine();
            foreach (var profile in _profiles)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {profile}");
            }
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Average account state after the unique scenario: {payloadBytes:F0} bytes. Each pgbench step writes the average state size the unique scenario had reached when it ran (shown in its row).");
        if (_notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Notes:");
            text.AppendLine();
        }

        foreach (var note in _notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
        }

        text.AppendLine();
        text.AppendLine("What these figures do not control (read them with it):");
        text.AppendLine();
        text.AppendLine("- pg_stat_statements tracks nested statements and planning during every step, for both sides alike; its own cost is not subtracted.");
        text.AppendLine("- pgbench runs after the Orleans steps of its concurrency (simple before prepared), with no warm-up of its own, on the table they have just updated; at 32 and 64 clients it puts that many backends on the machine's cores, and its CPU per write grows with them: below 1.0 against it there means a baseline that oversubscribes, not a cheaper silo.");
        text.AppendLine("- pgbench's write reads the row's version in the same statement (one index lookup the silo's write does not make) and builds its payload in the server.");
        text.AppendLine("- The load generator is a .NET process on the same cores; at one caller its idle threads cost about as much CPU as the silo (its line in each step).");
        text.AppendLine("- The profiled round (round 1) resets PostgreSQL's statistics, which autovacuum also reads.");

        return text.ToString();
    }
}
