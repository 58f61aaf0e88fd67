using Npgsql;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// Applying the schema to a live database (an upgrade, scripts/postgres.sh apply-schema): its DDL on the
/// journal waits for the table's lock behind a prune batch, and while it waits every journal insert
/// queues behind it. The script gives the lock up after a second and tries again. What is already there
/// is not touched again: a re-apply waits for no grain-state write. On its own PostgreSQL.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SchemaUpgradeTests
{
    [Fact]
    public async Task ApplySchema_WhileAPruneHoldsTheJournal_JournalInsertsGoOn_AppliedOnceThePruneEnds()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var prune = new NpgsqlConnection(postgres.ConnectionString);
        await prune.OpenAsync();
        await using var batch = await prune.BeginTransactionAsync();
        await using (var delete = new NpgsqlCommand("LOCK TABLE rm_operation_journal IN ROW EXCLUSIVE MODE", prune, batch))
        {
            // What a prune's DELETE holds until its batch commits (up to its 2-minute timeout).
            await delete.ExecuteNonQueryAsync();
        }

        var upgrade = postgres.ApplySchemaAsync();
        await Eventually.ReachedAsync(
            () => postgres.QueryScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE relation = 'rm_operation_journal'::regclass AND NOT granted"),
            waiting => waiting > 0, TimeSpan.FromSeconds(60), _ => "the upgrade never waited for the journal's lock");

        // An account's journal append meanwhile: queued behind an upgrade that waited for the lock with
        // no limit, it would wait as long as the prune; it waits at most one of the upgrade's attempts.
        var at = DateTimeOffset.UtcNow;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await JournalTable.ExecuteAsync(postgres, """
            INSERT INTO rm_operation_journal (service_id, account_id, operation_id, sequence, kind, amount, status, balance_after, operation_time_ms, recorded_at)
            VALUES ('upgrade', 'alice', $1, 1, 1, 10, 0, 10, $2, $3)
            """, Guid.CreateVersion7(at), at.ToUnixTimeMilliseconds(), at.UtcDateTime);
        // A bound, not a speed figure: the upgrade gives each lock up after 1 s; with no limit the insert
        // would wait until the prune ends, which here is never (the command's own timeout, 15 s, would fail it).
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"the journal insert waited {waited.Elapsed} behind the upgrade");
        Assert.False(upgrade.IsCompleted, "the upgrade finished while the prune still held the journal");

        await batch.RollbackAsync();
        var messages = await upgrade;

        Assert.Contains("trying again", messages, StringComparison.Ordinal);
        Assert.Equal(1L, await postgres.QueryScalarAsync<long>(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'rm_operation_journal_deletes_only_below_the_floor'"));
        Assert.Equal(1L, await JournalTable.CountAsync(postgres, "upgrade", "alice"));
    }

    [Fact]
    public async Task ApplySchemaAgain_WhileGrainStateAndReminderWritesAreOpen_AppliedWithoutWaitingForThem()
    {
        // A re-apply (an upgrade, the local server's restart) of a schema that is already there must not
        // queue behind the grain writes in flight: every write after it would queue behind it in turn.
        // CREATE INDEX IF NOT EXISTS and ADD COLUMN IF NOT EXISTS take their table locks before they look.
        await using var postgres = await PostgresServer.StartAsync();
        await using var writer = new NpgsqlConnection(postgres.ConnectionString);
        await writer.OpenAsync();
        await using var write = await writer.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("LOCK TABLE orleansstorage, orleansreminderstable IN ROW EXCLUSIVE MODE", writer, write))
        {
            // What an uncommitted state write and a reminder write hold.
            await hold.ExecuteNonQueryAsync();
        }

        var messages = await postgres.ApplySchemaAsync();

        Assert.DoesNotContain("trying again", messages, StringComparison.Ordinal);
        Assert.Equal(0L, await postgres.QueryScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE NOT granted"));
        await write.RollbackAsync();
    }
}
