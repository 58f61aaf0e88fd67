using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Journal;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Journal;

/// <summary>
/// The database owner's minimum retention (rm_journal_minimum_retention): the application's role cannot
/// raise the pruning floor past it, so it cannot shorten the history by raising the floor and deleting
/// below it; a silo configured with a shorter retention prunes to it. On its own PostgreSQL: the setting
/// is one for the whole database.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MinimumRetentionTests
{
    [Fact]
    public async Task MinimumRetentionSet_ApplicationRoleCannotRaiseTheFloorPastIt_PrunerWithAShorterRetentionKeepsIt()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await postgres.SetMinimumRetentionAsync(TimeSpan.FromDays(1));
        var now = DateTimeOffset.UtcNow;
        var service = new JournalServiceId("minimum");
        var role = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Username = "rm_app" }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(role);

        // Raising the floor to an hour ago, as rm_app: refused; two days ago: allowed.
        await using (var raise = dataSource.CreateCommand("INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)"))
        {
            raise.Parameters.Add(new() { Value = service.Value });
            raise.Parameters.Add(new() { Value = now.AddHours(-1).ToUnixTimeMilliseconds() });
            Assert.Equal(PostgresErrorCodes.CheckViolation, (await Assert.ThrowsAsync<PostgresException>(() => raise.ExecuteNonQueryAsync())).SqlState);
            raise.Parameters[1].Value = now.AddDays(-2).ToUnixTimeMilliseconds();
            Assert.Equal(1, await raise.ExecuteNonQueryAsync());
        }

        // A silo configured to keep an hour prunes what is older than the database's day, and no more.
        await using var journal = new PostgresOperationJournal(dataSource, service, Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var old = Record(1, now.AddDays(-3));
        var recent = Record(2, now.AddHours(-5));
        await journal.AppendAsync("alice", [old, recent]);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromHours(1), MaxOperationAge = TimeSpan.FromMinutes(30) });

        var logger = new FakeLogger<JournalPruner>();
        Assert.Equal(1, await new JournalPruner(dataSource, service, options, new FakeTimeProvider(now), logger).PruneAsync(CancellationToken.None));

        Assert.Equal([recent], (await journal.FindAsync("alice", [old.OperationId, recent.OperationId])).Records);
        var floor = (await journal.FindAsync("alice", [])).PrunedThroughUnixMs;
        Assert.InRange(floor, now.AddDays(-1).AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds());

        // The log says which retention applied: the warning, and the pass's summary with the day and the exact floor.
        var logged = logger.Collector.GetSnapshot();
        Assert.Contains(logged, entry => entry.Id.Id == 3013 && entry.Level == LogLevel.Warning);
        var pruned = Assert.Single(logged, entry => entry.Id.Id == 3010);
        Assert.Contains("retention 1.00:00:00", pruned.Message, StringComparison.Ordinal);
        Assert.Contains(DateTimeOffset.FromUnixTimeMilliseconds(floor).ToString("O", System.Globalization.CultureInfo.InvariantCulture), pruned.Message, StringComparison.Ordinal);

        // The rows the day keeps cannot be deleted by the role either.
        await using var delete = dataSource.CreateCommand("DELETE FROM rm_operation_journal WHERE service_id = $1");
        delete.Parameters.Add(new() { Value = service.Value });
        Assert.Equal(PostgresErrorCodes.CheckViolation, (await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync())).SqlState);
        Assert.Equal(1L, await JournalTable.CountAsync(postgres, service.Value, "alice"));
    }

    [Fact]
    public async Task NewDatabase_KeepsSevenYears_ApplicationRoleCannotShortenTheHistory_OwnersChoiceSurvivesAReapply()
    {
        // The schema's own default: whoever holds rm_app's credentials (which can rewrite a balance) cannot
        // erase the history the audit would show that by, before the owner decides how much to keep.
        await using var postgres = await PostgresServer.StartAsync(keepMinimumRetention: true);
        Assert.Equal(7 * 12, await MinimumRetentionInMonthsAsync(postgres));
        var now = DateTimeOffset.UtcNow;
        var service = new JournalServiceId("seeded");
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Username = "rm_app" }.ConnectionString);

        await using (var raise = dataSource.CreateCommand("INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)"))
        {
            raise.Parameters.Add(new() { Value = service.Value });
            raise.Parameters.Add(new() { Value = now.AddDays(-365 * 6).ToUnixTimeMilliseconds() });
            Assert.Equal(PostgresErrorCodes.CheckViolation, (await Assert.ThrowsAsync<PostgresException>(() => raise.ExecuteNonQueryAsync())).SqlState);
        }

        // A silo configured to keep two days prunes nothing younger than seven years, and says why.
        await using var journal = new PostgresOperationJournal(dataSource, service, Options.Create(new AccountOptions()), NullLogger<PostgresOperationJournal>.Instance);
        var old = Record(1, now.AddDays(-30));
        await journal.AppendAsync("alice", [old]);
        var options = Options.Create(new AccountOptions { JournalRetention = TimeSpan.FromDays(2), MaxOperationAge = TimeSpan.FromDays(1) });
        var logger = new FakeLogger<JournalPruner>();
        Assert.Equal(0, await new JournalPruner(dataSource, service, options, new FakeTimeProvider(now), logger).PruneAsync(CancellationToken.None));
        Assert.Equal([old], (await journal.FindAsync("alice", [old.OperationId])).Records);
        Assert.Contains(logger.Collector.GetSnapshot(), entry => entry.Id.Id == 3013 && entry.Level == LogLevel.Warning);

        // The owner's choice stays through an upgrade's apply, and so does no row at all (the owner's choice
        // too, and what a database created by an earlier version has: an upgrade never stops its pruning).
        await postgres.SetMinimumRetentionAsync(TimeSpan.FromDays(400));
        await postgres.ApplySchemaAsync();
        Assert.Equal(13, await MinimumRetentionInMonthsAsync(postgres));
        await JournalTable.ExecuteAsync(postgres, "DELETE FROM rm_journal_minimum_retention");
        await postgres.ApplySchemaAsync();
        Assert.Equal(0L, await postgres.QueryScalarAsync<long>("SELECT count(*) FROM rm_journal_minimum_retention"));
    }

    // Months of justify_days(retention): 7 years is 84; 400 days is 13 months and 10 days.
    private static async Task<int> MinimumRetentionInMonthsAsync(PostgresServer postgres) =>
        await postgres.QueryScalarAsync<int>("SELECT (extract(year FROM justify_days(retention)) * 12 + extract(month FROM justify_days(retention)))::int FROM rm_journal_minimum_retention");

    private static OperationRecord Record(long sequence, DateTimeOffset at) =>
        new(Guid.CreateVersion7(at), OperationKind.Deposit, 10, OperationStatus.Succeeded, 10 * sequence)
        {
            Sequence = sequence,
            RecordedUnixMs = at.ToUnixTimeMilliseconds(),
        };
}
