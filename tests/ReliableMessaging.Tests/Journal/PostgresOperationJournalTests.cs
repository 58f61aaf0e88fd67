using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;
using ReliableMessaging.Silo.Journal;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Journal;

/// <summary>The journal's SQL against a real PostgreSQL: idempotent appends, batching, reads, and pruning that raises the floor first.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresOperationJournalTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly JournalServiceId _serviceId = new($"journal-{Guid.NewGuid():N}");

    private NpgsqlDataSource DataSource() => NpgsqlDataSource.Create(fixture.Postgres.ConnectionString);

    /// <summary>A role that may log in and nothing more (as after a missing migration of 50-roles.sql).</summary>
    private async Task<NpgsqlDataSource> WithoutGrantsAsync()
    {
        var role = $"rm_nogrant_{Guid.NewGuid():N}"[..24];
        await fixture.Postgres.QueryScalarAsync<object>($"CREATE ROLE {role} LOGIN");
        // The journal's locks, as rm_app has them: what this role lacks is the tables' grants.
        await fixture.Postgres.QueryScalarAsync<object>(
            $"GRANT EXECUTE ON FUNCTION pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock(bigint) TO {role}");
        return NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Username = role }.ConnectionString);
    }

    /// <summary>Takes the service's journal lock (<paramref name="lockSql"/>: the writers' or the pruner's) in a transaction left open.</summary>
    private async Task<NpgsqlTransaction> HoldJournalLockAsync(NpgsqlConnection connection, string lockSql)
    {
        var transaction = await connection.BeginTransactionAsync();
        await using var lockCommand = new NpgsqlCommand(lockSql, connection, transaction);
        lockCommand.Parameters.AddWithValue(_serviceId.Value);
        await lockCommand.ExecuteNonQueryAsync();
        return transaction;
    }

    private PostgresOperationJournal Journal(NpgsqlDataSource dataSource) =>
        new(dataSource, _serviceId, Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);

    private static OperationRecord Record(long sequence, DateTimeOffset at, OperationKind kind = OperationKind.Deposit) =>
        new(Guid.CreateVersion7(at), kind, 10 * sequence, OperationStatus.Succeeded, 100 + sequence, kind == OperationKind.TransferOut ? "bob" : null,
            kind == OperationKind.TransferOut ? TransferState.Pending : null)
        {
            Sequence = sequence,
            RecordedUnixMs = at.ToUnixTimeMilliseconds(),
            IssuedBy = "client-42",
        };

    [Fact]
    public async Task Append_SameRecordsTwice_StoredOnceAndReadBackIdentical()
    {
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var records = Enumerable.Range(1, 5).Select(i => Record(i, Now.AddSeconds(i), i == 3 ? OperationKind.TransferOut : OperationKind.Deposit)).ToList();

        await journal.AppendAsync("alice", records);
        await journal.AppendAsync("alice", records.Skip(2).ToList());

        Assert.Equal(records, (await journal.ReadAsync("alice", 0, 100)).Records);
        Assert.Equal(records.Skip(3), (await journal.ReadAsync("alice", 3, 100)).Records);
        Assert.Equal(records.Take(2), (await journal.ReadAsync("alice", 0, 2)).Records);
        Assert.Empty((await journal.ReadAsync("bob", 0, 100)).Records);

        var found = await journal.FindAsync("alice", [records[1].OperationId, records[4].OperationId, Guid.CreateVersion7()]);
        Assert.Equal([records[1], records[4]], found.Records.OrderBy(r => r.Sequence));
        Assert.Equal(0, found.PrunedThroughUnixMs);
    }

    [Fact]
    public async Task Append_AnotherOperationUnderAUsedSequence_FailsAloneNeverConfirmedAndTheBatchsOtherAccountsStored()
    {
        // A state that went back in time (a restored row) numbers a new operation with a sequence the
        // journal already holds: that append must fail (its record stays in the window), not be
        // confirmed without its row, and the other accounts in the same insert must not fail with it.
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var first = Record(1, Now);
        await journal.AppendAsync("bob", [first]);
        var collision = Record(1, Now.AddSeconds(1));
        var other = Record(1, Now.AddSeconds(1));

        var colliding = journal.AppendAsync("bob", [collision]);
        var alongside = journal.AppendAsync("alice", [other]);

        Assert.True((await Assert.ThrowsAsync<JournalUnavailableException>(() => colliding)).IsRefusal);
        await alongside;
        Assert.Equal([first], (await journal.ReadAsync("bob", 0, 100)).Records);
        Assert.Empty((await journal.FindAsync("bob", [collision.OperationId])).Records);
        Assert.Equal([other], (await journal.ReadAsync("alice", 0, 100)).Records);

        // The account retries (as its shipper does every few seconds): from now on its appends go alone,
        // so the others' insert no longer fails and splits each time: alice's insert and bob's two (plain,
        // then idempotent), not a shared one that fails first.
        var before = journal.InsertsExecuted;
        var again = journal.AppendAsync("bob", [collision]);
        var next = Record(2, Now.AddSeconds(2));
        var meanwhile = journal.AppendAsync("alice", [next]);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => again);
        await meanwhile;
        Assert.Equal(3, journal.InsertsExecuted - before);
        Assert.Equal([other, next], (await journal.ReadAsync("alice", 0, 100)).Records);
    }

    [Fact]
    public async Task Append_BatchPartlyAlreadyThere_TheMissingRowsAddedAndTheOthersUntouched()
    {
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var records = Enumerable.Range(1, 4).Select(i => Record(i, Now.AddSeconds(i))).ToList();
        await journal.AppendAsync("carol", records.Take(2).ToList());
        var before = journal.InsertsExecuted;

        // Re-sent after a lost answer, together with new ones: the plain insert meets rows 1-2,
        // so the batch goes again in its idempotent form.
        await journal.AppendAsync("carol", records);

        Assert.Equal(records, (await journal.ReadAsync("carol", 0, 100)).Records);
        Assert.Equal(2, journal.InsertsExecuted - before);
    }

    [Fact]
    public async Task ManyAccountsAppendingAtOnce_BatchedIntoFewInserts()
    {
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var before = journal.InsertsExecuted;
        var appends = Enumerable.Range(0, 400).Select(i => journal.AppendAsync($"acct-{i}", [Record(1, Now), Record(2, Now.AddMilliseconds(1))]));

        await Task.WhenAll(appends);

        var inserts = journal.InsertsExecuted - before;
        Assert.InRange(inserts, 1, 100);
        Assert.Equal(2, ((await journal.ReadAsync("acct-399", 0, 10)).Records).Count);
    }

    [Fact]
    public async Task AppendsSpacedOutWithinTheFlushDelay_ShareOneInsert()
    {
        await using var dataSource = DataSource();
        await using var journal = new PostgresOperationJournal(dataSource, _serviceId,
            Options.Create(new AccountOptions { JournalFlushDelay = TimeSpan.FromMilliseconds(500) }), NullLogger<PostgresOperationJournal>.Instance);
        var before = journal.InsertsExecuted;
        var appends = new List<Task>();

        // One caller at a time, as with a single ATM: without the delay each would be its own insert.
        for (var i = 0; i < 5; i++)
        {
            appends.Add(journal.AppendAsync($"spaced-{i}", [Record(1, Now)]));
            await Task.Yield();
        }

        await Task.WhenAll(appends);

        Assert.Equal(1, journal.InsertsExecuted - before);
        Assert.Single((await journal.ReadAsync("spaced-4", 0, 10)).Records);
    }

    [Fact]
    public async Task Prune_RaisesTheFloorThenDeletesOlderRows_PrunedIdsLookUpAsBelowTheFloor()
    {
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var old = Record(1, Now.AddDays(-3));
        var recent = Record(2, Now.AddHours(-1));
        await journal.AppendAsync("carol", [old, recent]);
        List<OperationRecord> dave = [Record(1, Now.AddDays(-4)), Record(2, Now.AddDays(-3), OperationKind.Withdrawal), Record(3, Now.AddMinutes(-5))];
        await journal.AppendAsync("dave", dave);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });
        var pruner = new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(Now), NullLogger<JournalPruner>.Instance);

        var deleted = await pruner.PruneAsync(CancellationToken.None);
        var again = await pruner.PruneAsync(CancellationToken.None);

        Assert.Equal((3L, 0L), (deleted, again));

        // What was pruned is tallied per account, so the statement and the audit still add up.
        var carolPage = await journal.ReadAsync("carol", 0, 10);
        Assert.Equal([recent], carolPage.Records);
        Assert.Equal((1L, 10L, Now.AddDays(-2).ToUnixTimeMilliseconds(), 1L),
            (carolPage.PrunedRecords, carolPage.PrunedEffect, carolPage.PrunedThroughUnixMs, carolPage.PrunedThroughSequence));
        var davePage = await journal.ReadAsync("dave", 0, 10);
        Assert.Equal([dave[2]], davePage.Records);
        Assert.Equal((2L, -10L, 2L), (davePage.PrunedRecords, davePage.PrunedEffect, davePage.PrunedThroughSequence));

        // An account that re-activates re-sends its last records: pruned ones do not come back (they would
        // be counted twice). A record never journaled before is stored whatever its age (never lost), and
        // counts as pruned at once; the next pass moves it to the tally. Through a writer that, as in a
        // silo with a retention, takes the lock that orders its inserts against the pruner.
        await using (var writer = new PostgresOperationJournal(dataSource, _serviceId, options, NullLogger<PostgresOperationJournal>.Instance))
        {
            await writer.AppendAsync("dave", dave);
            var late = Record(1, Now.AddDays(-3));
            await writer.AppendAsync("erin", [late]);

            var resent = await journal.ReadAsync("dave", 0, 10);
            Assert.Equal([dave[2]], resent.Records);
            Assert.Equal((2L, -10L), (resent.PrunedRecords, resent.PrunedEffect));
            Assert.Equal([late], (await journal.FindAsync("erin", [late.OperationId])).Records);
            var beforePrune = await journal.ReadAsync("erin", 0, 10);
            Assert.Equal((1L, 10L, 1L), (beforePrune.PrunedRecords, beforePrune.PrunedEffect, beforePrune.PrunedThroughSequence));
            Assert.Equal(1, await pruner.PruneAsync(CancellationToken.None));
            Assert.Equal((1L, 10L), ((await journal.ReadAsync("erin", 0, 10)).PrunedRecords, (await journal.ReadAsync("erin", 0, 10)).PrunedEffect));
        }
        var lookup = await journal.FindAsync("carol", [old.OperationId, recent.OperationId]);
        Assert.Equal([recent], lookup.Records);
        Assert.Equal(Now.AddDays(-2).ToUnixTimeMilliseconds(), lookup.PrunedThroughUnixMs);

        // The rules turns that floor into "expired" for the pruned ID: never "unknown", never executed again.
        var rules = new AccountRules(options.Value);
        var state = new AccountState { IsOpen = true, LastSequence = 2, JournaledThrough = 2, JournalBoundaryUnixMs = Now.ToUnixTimeMilliseconds() };
        Assert.True(rules.TryLookup(state, old.OperationId, Now, lookup with { AsOfSequence = 2 }, out var result));
        Assert.Equal(OperationLookupStatus.Expired, result.Status);
        Assert.Equal(OperationStatus.OperationExpired, rules.Process(state, new(OperationKind.Deposit, old.OperationId, 10), Now, lookup with { AsOfSequence = 2 }).Status);

        // A floor never goes down, even if a pruner with a slower clock runs.
        await new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(Now.AddDays(-1)), NullLogger<JournalPruner>.Instance).PruneAsync(CancellationToken.None);
        Assert.Equal(Now.AddDays(-2).ToUnixTimeMilliseconds(), (await journal.FindAsync("carol", [])).PrunedThroughUnixMs);
        Assert.Equal((1L, 10L), ((await journal.ReadAsync("carol", 0, 10)).PrunedRecords, (await journal.ReadAsync("carol", 0, 10)).PrunedEffect));

        // A prune in progress (the floor raised, the rows not deleted yet): they already count as pruned, not listed.
        await JournalTable.ExecuteAsync(fixture.Postgres, "UPDATE rm_journal_retention SET pruned_through_ms = $2 WHERE service_id = $1",
            _serviceId.Value, Now.AddMinutes(-30).ToUnixTimeMilliseconds());
        var inProgress = await journal.ReadAsync("carol", 0, 10);
        Assert.Empty(inProgress.Records);
        Assert.Equal((2L, 30L, 2L), (inProgress.PrunedRecords, inProgress.PrunedEffect, inProgress.PrunedThroughSequence));
    }

    [Fact]
    public async Task Prune_BySiloWhoseClockRunsAhead_FloorNoHigherThanTheDatabasesClockMinusTheRetention()
    {
        // The floor only ever rises: one silo a day ahead would have expired, for good, records still a
        // day inside the retention (their retries refused as expired, their look-ups 410).
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var inside = Record(1, Now.AddDays(-1.5));
        var outside = Record(2, Now.AddDays(-3));
        await journal.AppendAsync("hugo", [outside, inside]);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });

        var ahead = new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(Now.AddDays(1)), NullLogger<JournalPruner>.Instance);
        Assert.Equal(1, await ahead.PruneAsync(CancellationToken.None));

        Assert.Equal([inside], (await journal.FindAsync("hugo", [inside.OperationId, outside.OperationId])).Records);
        var floor = (await journal.FindAsync("hugo", [])).PrunedThroughUnixMs;
        Assert.InRange(floor, Now.AddDays(-2).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds() + 60_000);
    }

    [Fact]
    public async Task StatementTally_WithoutRetention_NeverReadsTheAccountsRows_WithAFloorItDoes()
    {
        // Without a retention (the default) every statement page read all of the account's rows for a
        // tally of nothing: 257 ms a page on an account of 1,000,000 rows. Its plan must skip that scan.
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        await journal.AppendAsync("ivan", Enumerable.Range(1, 50).Select(i => Record(i, Now.AddSeconds(i))).ToList());

        Assert.Equal(0, await TallyScansAsync(dataSource, "ivan"));
        Assert.Equal((0L, 0L), ((await journal.ReadAsync("ivan", 0, 10)).PrunedRecords, (await journal.ReadAsync("ivan", 0, 10)).PrunedThroughSequence));

        await JournalTable.ExecuteAsync(fixture.Postgres, "INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)",
            _serviceId.Value, Now.AddDays(-2).ToUnixTimeMilliseconds());
        Assert.True(await TallyScansAsync(dataSource, "ivan") >= 1, "with a floor the tally must read the rows it covers");
    }

    /// <summary>How many times the statement's tally, run as ReadAsync runs it, scanned the journal table.</summary>
    private async Task<long> TallyScansAsync(NpgsqlDataSource dataSource, string accountId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var prelude = new NpgsqlCommand(PostgresOperationJournal.StatementTallyPrelude, connection, transaction))
        {
            await prelude.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + PostgresOperationJournal.StatementTallySql, connection, transaction);
        explain.Parameters.Add(new() { Value = _serviceId.Value });
        explain.Parameters.Add(new() { Value = accountId });
        using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);

        static long Loops(JsonElement node) =>
            (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "rm_operation_journal" ? node.GetProperty("Actual Loops").GetInt64() : 0)
            + (node.TryGetProperty("Plans", out var children) ? children.EnumerateArray().Sum(Loops) : 0);
        return Loops(plan.RootElement[0].GetProperty("Plan"));
    }

    [Fact]
    public async Task Append_AnotherOperationUnderAPrunedSequence_StoredNeverConfirmedWithoutItsRow()
    {
        // A state row restored from a backup numbers a new operation with a sequence the retention has
        // pruned. Taken for a re-sent pruned record, it was dropped and its append confirmed: the record
        // then left the window and was nowhere, and a retry of it would have run again.
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        await journal.AppendAsync("gina", [Record(1, Now.AddDays(-3)), Record(2, Now.AddDays(-3)), Record(3, Now.AddDays(-3))]);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });
        Assert.Equal(3, await new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(Now), NullLogger<JournalPruner>.Instance).PruneAsync(CancellationToken.None));

        var fresh = Record(2, Now);
        await journal.AppendAsync("gina", [fresh]);

        Assert.Equal([fresh], (await journal.FindAsync("gina", [fresh.OperationId])).Records);
    }

    [Fact]
    public async Task Prune_RowWithAnOldIdRecordedRecently_ListedAndKeptUntilItsRecordingIsPastTheRetentionToo()
    {
        // A transfer held pending past the retention, then refunded: the refund's ID is derived from the
        // transfer's (its time, days ago) but it was recorded now. By its ID alone it was hidden from the
        // statement and deleted at the next pass, right after the money came back.
        // Three days back, so that "two days later" is still before the database's clock (the pruner never
        // raises the floor above the database's now minus the retention).
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        var then = Now.AddDays(-3);
        var debit = Record(1, then.AddDays(-3), OperationKind.TransferOut);
        var refund = Record(2, then.AddDays(-3), OperationKind.TransferRefund) with { RecordedUnixMs = then.AddMinutes(-1).ToUnixTimeMilliseconds() };
        await journal.AppendAsync("frank", [debit, refund]);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });

        Assert.Equal(1, await new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(then), NullLogger<JournalPruner>.Instance).PruneAsync(CancellationToken.None));

        var page = await journal.ReadAsync("frank", 0, 10);
        Assert.Equal([refund], page.Records);
        Assert.Equal((1L, -10L), (page.PrunedRecords, page.PrunedEffect));
        Assert.False(page.CountsAsPruned(refund));
        Assert.True(page.CountsAsPruned(debit));
        Assert.Equal([refund], (await journal.FindAsync("frank", [refund.OperationId])).Records);

        // Once its recording is past the retention too, it goes the way of every row: deleted and tallied once.
        var later = new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(then.AddDays(2).AddMinutes(1)), NullLogger<JournalPruner>.Instance);
        Assert.Equal(1, await later.PruneAsync(CancellationToken.None));
        var after = await journal.ReadAsync("frank", 0, 10);
        Assert.Empty(after.Records);
        Assert.Equal((2L, -10L + 20L), (after.PrunedRecords, after.PrunedEffect));
    }

    /// <summary>
    /// Returns once PostgreSQL shows a session blocked by <paramref name="blockerPid"/>; fails if
    /// <paramref name="waiter"/> ends first, or after 30 s (it never reached PostgreSQL).
    /// </summary>
    private static async Task SeenWaitingOnAsync(NpgsqlDataSource dataSource, int blockerPid, Task waiter, string endedFirst)
    {
        await using var observer = await dataSource.OpenConnectionAsync();
        await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", observer);
        waiting.Parameters.AddWithValue(blockerPid);
        var deadline = Stopwatch.StartNew();
        while ((long)(await waiting.ExecuteScalarAsync())! == 0)
        {
            Assert.False(waiter.IsCompleted, endedFirst);
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "nothing was seen waiting within 30 s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Append_OnASiloWithoutRetention_WaitsForAPruneInProgressOnAnother()
    {
        // A rollout can leave one silo pruning and another not: the second's insert must still wait
        // for a prune's delete to commit, or a re-sent record deleted meanwhile comes back as a row
        // beside its tally (counted twice).
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        await using var pruner = await dataSource.OpenConnectionAsync();
        await using var prune = await HoldJournalLockAsync(pruner, PostgresOperationJournal.PruneLockSql);

        var append = journal.AppendAsync("alice", [Record(1, Now)]);

        // Seen waiting on the pruner's session by PostgreSQL itself: a short sleep would pass with the
        // bug on a loaded host, where an insert that ignores the lock may take longer than the sleep.
        await SeenWaitingOnAsync(dataSource, pruner.ProcessID, append, "the insert did not wait for the prune's lock");

        Assert.False(append.IsCompleted, "the insert did not wait for the prune's lock");
        Assert.Empty((await journal.ReadAsync("alice", 0, 10)).Records);

        await prune.CommitAsync();
        await append.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single((await journal.ReadAsync("alice", 0, 10)).Records);
    }

    [Fact]
    public async Task Prune_BehindAnInsertThatHangs_GivesUpWithinItsLockWait_TheNextInsertsDoNotWaitForTheHungOne()
    {
        // The writers' inserts queue behind a prune's waiting exclusive request: a prune that waited for
        // an insert hung on a slow database would stall every silo's journal for as long.
        await using var dataSource = DataSource();
        await using var journal = Journal(dataSource);
        await using var hung = await dataSource.OpenConnectionAsync();
        await using var hungInsert = await HoldJournalLockAsync(hung, PostgresOperationJournal.InsertLockSql);

        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });
        var pruner = new JournalPruner(dataSource, _serviceId, options, new FakeTimeProvider(Now), NullLogger<JournalPruner>.Instance);
        var clock = Stopwatch.StartNew();
        var prune = pruner.PruneAsync(CancellationToken.None);

        // The insert must arrive while the prune waits for its lock (a sleep could let it in first on a
        // loaded host, where it is never queued behind the prune): seen waiting by PostgreSQL itself.
        await SeenWaitingOnAsync(dataSource, hung.ProcessID, prune, "the prune ended before it was seen waiting for the hung insert's lock");

        var append = journal.AppendAsync("grace", [Record(1, Now)]);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => prune.WaitAsync(TimeSpan.FromSeconds(30)));
        await append.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(PostgresErrorCodes.LockNotAvailable, refused.SqlState);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the prune and the insert behind it waited {clock.Elapsed} for an insert that hangs");
        Assert.Single((await journal.ReadAsync("grace", 0, 10)).Records);
        await hungInsert.RollbackAsync();
    }

    [Fact]
    public async Task ReadsHoldingEveryConnectionOfTheirPool_TheWriterStillAppends_AReadMoreFailsAsUnavailable()
    {
        // Statement pages and look-ups of old operations on a slow database: however many are in flight,
        // they must not take the connection the writer needs, or every account's records wait with them.
        await using var reads = NpgsqlDataSource.Create(fixture.Postgres.ConnectionString + ";Maximum Pool Size=2;Timeout=2");
        await using var writer = DataSource();
        await using var journal = new PostgresOperationJournal(
            new JournalWriterDataSource(writer), reads, _serviceId, Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        await using var first = await reads.OpenConnectionAsync();
        await using var second = await reads.OpenConnectionAsync();

        await journal.AppendAsync("heidi", [Record(1, Now)]).WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<JournalUnavailableException>(() => journal.FindAsync("heidi", [Guid.CreateVersion7()]));

        await second.CloseAsync();
        Assert.Single((await journal.ReadAsync("heidi", 0, 10)).Records);
    }

    [Fact]
    public async Task DatabaseUnreachable_CallsFailAsJournalUnavailable()
    {
        await using var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=x;Username=x;Timeout=2");
        await using var journal = new PostgresOperationJournal(nowhere, _serviceId, Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);

        Assert.False((await Assert.ThrowsAsync<Grains.Journal.JournalUnavailableException>(() => journal.AppendAsync("alice", [Record(1, Now)]))).IsRefusal);
        await Assert.ThrowsAsync<Grains.Journal.JournalUnavailableException>(() => journal.FindAsync("alice", [Guid.CreateVersion7()]));
        await Assert.ThrowsAsync<Grains.Journal.JournalUnavailableException>(() => journal.ReadAsync("alice", 0, 10));
    }

    [Fact]
    public async Task ReadRefusedTheSameWayEveryTime_AnErrorNotJournalUnavailable()
    {
        // A role without grants on the journal (as after a missing migration of 50-roles.sql): every
        // read fails the same way, so "unavailable, retry" (503) would send clients into endless retries.
        await using var dataSource = await WithoutGrantsAsync();
        await using var journal = Journal(dataSource);

        var find = await Assert.ThrowsAsync<PostgresException>(() => journal.FindAsync("alice", [Guid.CreateVersion7()]));
        var read = await Assert.ThrowsAsync<PostgresException>(() => journal.ReadAsync("alice", 0, 10));

        Assert.Equal((PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.InsufficientPrivilege), (find.SqlState, read.SqlState));
    }

    [Fact]
    public async Task AppendRefusedTheSameWayEveryTime_AnErrorNotJournalUnavailable()
    {
        // The same for appends: the account would otherwise answer 503 "retry" for good once its bound is reached.
        await using var dataSource = await WithoutGrantsAsync();
        await using var journal = Journal(dataSource);
        // Counted as an error, which pages at once: no outage, backlog or state-write alert would see it.
        var errors = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "reliablemessaging.journal.append.failures")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "reason", Value: "error" })
                {
                    Interlocked.Add(ref errors, value);
                }
            }
        });
        listener.Start();

        var append = await Assert.ThrowsAsync<PostgresException>(() => journal.AppendAsync("alice", [Record(1, Now)]));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, append.SqlState);
        Assert.True(Interlocked.Read(ref errors) >= 1, "the refused insert was not counted as an error");
    }
}
