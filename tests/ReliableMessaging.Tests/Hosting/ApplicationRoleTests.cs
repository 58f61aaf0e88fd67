using Npgsql;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Hosting;

/// <summary>
/// The roles of silo-config/sql/50-roles.sql: rm_app, which silos connect as, runs the providers' work
/// (membership, state, reminders, the journal) and cannot change the schema; rm_frontend, which front
/// ends connect as, reads the gateway list and writes nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ApplicationRoleTests(ClusterFixture fixture)
{
    private const string Role = "rm_app";

    private string RoleConnectionString => new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Username = Role }.ConnectionString;

    [Theory]
    [InlineData("DROP TABLE orleansstorage")]
    [InlineData("ALTER TABLE orleansstorage ADD COLUMN sneaky int")]
    [InlineData("ALTER TABLE orleansmembershiptable DROP COLUMN iamalivetime")]
    [InlineData("TRUNCATE orleansstorage")]
    [InlineData("DROP FUNCTION orleans_storage_write")]
    [InlineData("CREATE TABLE sneaky (id int)")]
    [InlineData("UPDATE orleansquery SET querytext = 'SELECT 1' WHERE querykey = 'ReadFromStorageKey'")]
    [InlineData("CREATE ROLE sneaky LOGIN SUPERUSER")]
    [InlineData("DELETE FROM rm_journal_retention")]
    [InlineData("DELETE FROM rm_journal_pruned")]
    // A cluster's service is claimed once: the application cannot hand the cluster to another service.
    [InlineData("UPDATE rm_cluster_service SET service_id = 'other'")]
    [InlineData("DELETE FROM rm_cluster_service")]
    // Only the transaction-scoped journal locks it uses: a session lock would outlive its statement.
    [InlineData("SELECT pg_advisory_lock(hashtextextended('rm_operation_journal:reliable-messaging', 0))")]
    [InlineData("SELECT pg_advisory_lock_shared(1)")]
    public async Task ApplicationRole_DdlAndForeignWrites_RefusedAsInsufficientPrivilege(string statement)
    {
        await using var connection = new NpgsqlConnection(RoleConnectionString);
        await connection.OpenAsync();

        // Inside a transaction never committed: should a grant regress, the statement's damage (a dropped
        // or emptied table of the shared cluster) is rolled back and only this test fails.
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(statement, connection, transaction);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        Assert.Equal(0L, await fixture.Postgres.QueryScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'sneaky'"));
    }

    [Theory]
    [InlineData("UPDATE rm_journal_retention SET pruned_through_ms = 0 WHERE service_id = $1")]
    [InlineData("UPDATE rm_journal_pruned SET records = 0 WHERE service_id = $1")]
    [InlineData("UPDATE rm_journal_pruned SET through_sequence = 0 WHERE service_id = $1")]
    public async Task ApplicationRole_CannotLowerTheRetentionFloorOrTheTallies(string statement)
    {
        // It may upsert them (the pruner's greatest and sums); setting the floor back would turn pruned
        // IDs into "never executed", like the DELETE it is refused.
        var service = $"floor-{Guid.NewGuid():N}";
        await JournalTable.ExecuteAsync(fixture.Postgres, "INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, 1000)", service);
        await JournalTable.ExecuteAsync(fixture.Postgres,
            "INSERT INTO rm_journal_pruned (service_id, account_id, records, net_effect, through_sequence) VALUES ($1, 'alice', 5, 50, 5)", service);
        await using var connection = new NpgsqlConnection(RoleConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(statement, connection) { Parameters = { new() { Value = service } } };

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        Assert.Equal(1000L, await fixture.Postgres.QueryScalarAsync<long>("SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = @s", ("s", service)));
        await using var raise = new NpgsqlCommand("UPDATE rm_journal_retention SET pruned_through_ms = 2000 WHERE service_id = $1", connection) { Parameters = { new() { Value = service } } };
        Assert.Equal(1, await raise.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task ApplicationRole_DeletesJournalRowsInsideTheRetention_RefusedAndEveryRowKept()
    {
        // The role needs DELETE for the pruner. Unguarded, whoever holds its credentials could erase an
        // executed operation: its ID would run again, and the audit would have nothing to compare. Rows
        // go only once the service's pruning floor covers them, as the pruner deletes them.
        var service = $"erase-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;
        var floor = now.AddDays(-2);
        foreach (var (sequence, at) in new[] { (1L, now.AddDays(-4)), (2L, now.AddDays(-3)), (3L, now.AddHours(-1)) })
        {
            await JournalTable.ExecuteAsync(fixture.Postgres, """
                INSERT INTO rm_operation_journal (service_id, account_id, operation_id, sequence, kind, amount, status, balance_after, operation_time_ms, recorded_at)
                VALUES ($1, 'alice', $2, $3, 1, 10, 0, 10 * $3, $4, $5)
                """, service, Guid.CreateVersion7(at), sequence, at.ToUnixTimeMilliseconds(), at.UtcDateTime);
        }

        await using var connection = new NpgsqlConnection(RoleConnectionString);
        await connection.OpenAsync();
        async Task<int> DeleteAsync(string condition)
        {
            await using var command = new NpgsqlCommand($"DELETE FROM rm_operation_journal WHERE service_id = $1 AND {condition}", connection)
            {
                Parameters = { new() { Value = service }, new() { Value = floor.ToUnixTimeMilliseconds() } },
            };
            return await command.ExecuteNonQueryAsync();
        }

        // No floor yet: not even the oldest row may go.
        var withoutFloor = await Assert.ThrowsAsync<PostgresException>(() => DeleteAsync("sequence = 1 AND $2 > 0"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, withoutFloor.SqlState);

        // A temporary table named like the floor's (the session's own schema comes first by default) does not stand in for it.
        await using (var shadow = new NpgsqlCommand("CREATE TEMP TABLE rm_journal_retention (service_id text, pruned_through_ms bigint)", connection))
        {
            await shadow.ExecuteNonQueryAsync();
        }

        await using (var forged = new NpgsqlCommand("INSERT INTO rm_journal_retention VALUES ($1, 9223372036854775807)", connection) { Parameters = { new() { Value = service } } })
        {
            await forged.ExecuteNonQueryAsync();
        }

        var shadowed = await Assert.ThrowsAsync<PostgresException>(() => DeleteAsync("$2 > 0"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, shadowed.SqlState);
        Assert.Equal(3L, await JournalTable.CountAsync(fixture.Postgres, service, "alice"));

        // With a floor covering the two oldest: a delete that takes a row above it too fails whole.
        await JournalTable.ExecuteAsync(fixture.Postgres, "INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)",
            service, floor.ToUnixTimeMilliseconds());
        var mixed = await Assert.ThrowsAsync<PostgresException>(() => DeleteAsync("$2 > 0"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, mixed.SqlState);
        Assert.Equal(3L, await JournalTable.CountAsync(fixture.Postgres, service, "alice"));

        // Below the floor (ID time and recording both at or below it), as the pruner deletes: allowed.
        Assert.Equal(2, await DeleteAsync("operation_time_ms <= $2 AND recorded_at <= timestamptz 'epoch' + $2 * interval '1 millisecond'"));
        Assert.Equal(1L, await JournalTable.CountAsync(fixture.Postgres, service, "alice"));
    }

    [Fact]
    public async Task ApplicationRole_RaisesTheFloorIntoTheFuture_Refused()
    {
        // The role may upsert the floor (the pruner's), but a floor ahead of the database's clock would
        // make every look-up of an ID below it "expired", and let its rows be deleted.
        var service = $"future-{Guid.NewGuid():N}";
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        await using var connection = new NpgsqlConnection(RoleConnectionString);
        await connection.OpenAsync();
        async Task<int> ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = service }, new() { Value = future } } };
            return await command.ExecuteNonQueryAsync();
        }

        var inserted = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2)"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, inserted.SqlState);

        Assert.Equal(1, await ExecuteAsync("INSERT INTO rm_journal_retention (service_id, pruned_through_ms) VALUES ($1, $2 - 7200000)"));
        var raised = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("UPDATE rm_journal_retention SET pruned_through_ms = $2 WHERE service_id = $1"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, raised.SqlState);
        Assert.Equal(future - 7_200_000, await fixture.Postgres.QueryScalarAsync<long>("SELECT pruned_through_ms FROM rm_journal_retention WHERE service_id = @s", ("s", service)));

        // The owner's minimum retention is not the role's to change.
        var minimum = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("INSERT INTO rm_journal_minimum_retention (retention) VALUES (interval '0') ON CONFLICT (singleton) DO UPDATE SET retention = excluded.retention"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, minimum.SqlState);
    }

    [Theory]
    [InlineData("SELECT count(*) FROM orleansstorage")]
    [InlineData("UPDATE orleansstorage SET version = version + 1")]
    [InlineData("INSERT INTO orleansmembershiptable (deploymentid, address, port, generation, siloname, hostname, status, starttime, iamalivetime) VALUES ('x', '10.0.0.9', 11111, 1, 's', 'h', 3, now(), now())")]
    [InlineData("UPDATE orleansmembershiptable SET status = 6")]
    [InlineData("SELECT count(*) FROM rm_operation_journal")]
    [InlineData("DELETE FROM rm_operation_journal")]
    [InlineData("UPDATE rm_journal_retention SET pruned_through_ms = pruned_through_ms + 1")]
    [InlineData("SELECT count(*) FROM orleansreminderstable")]
    [InlineData("SELECT orleans_storage_write(0, 0, 0, 0, 'x', 'x', 'x', 0, NULL)")]
    // Holding the journal's lock (or waiting for it, queued before the pruner) would freeze every append.
    [InlineData("SELECT pg_advisory_lock(hashtextextended('rm_operation_journal:reliable-messaging', 0))")]
    [InlineData("SELECT pg_advisory_lock_shared(hashtextextended('rm_operation_journal:reliable-messaging', 0))")]
    [InlineData("SELECT pg_advisory_xact_lock_shared(hashtextextended('rm_operation_journal:reliable-messaging', 0))")]
    [InlineData("SELECT pg_try_advisory_lock(1, 2)")]
    public async Task FrontEndRole_ReadsTheGatewayListOnly_EveryStateOrMembershipWriteRefused(string statement)
    {
        // The front end's credentials are the most exposed: whoever holds them must not be able to
        // copy one account's state over another's, nor register a silo of their own.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Username = FrontEndFactory.FrontEndRole }.ConnectionString);
        await connection.OpenAsync();
        await using var gateways = new NpgsqlCommand("SELECT count(*) FROM orleansmembershiptable WHERE status = 3 AND proxyport > 0", connection);
        Assert.True((long)(await gateways.ExecuteScalarAsync())! >= 1);

        // Never committed: should a grant regress, the shared cluster's rows and members stay as they were.
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(statement, connection, transaction);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task FrontEndRole_OpensConnectionsPastItsLimit_RefusedAtTwentyLeavingTheRestToTheSilos()
    {
        // Unpooled, so each open is a backend of its own; other tests' front ends may hold a few already.
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Username = FrontEndFactory.FrontEndRole, Pooling = false }.ConnectionString;
        var opened = new List<NpgsqlConnection>();
        try
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                for (var i = 0; i < 25; i++)
                {
                    var connection = new NpgsqlConnection(connectionString);
                    opened.Add(connection);
                    await connection.OpenAsync();
                }
            });

            Assert.Equal(PostgresErrorCodes.TooManyConnections, refused.SqlState);
            Assert.Equal(20L, await fixture.Postgres.QueryScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = @role", ("role", FrontEndFactory.FrontEndRole)));
        }
        finally
        {
            foreach (var connection in opened)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(Role)]
    [InlineData(FrontEndFactory.FrontEndRole)]
    public async Task Roles_AreLoginsWithoutSuperuserCreateDbOrCreateRole(string role)
    {
        var attributes = await fixture.Postgres.QueryScalarAsync<string>(
            "SELECT concat_ws(',', rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls) FROM pg_roles WHERE rolname = @role",
            ("role", role));
        Assert.Equal("t,f,f,f,f,f", attributes);
        Assert.Equal(0L, await fixture.Postgres.QueryScalarAsync<long>(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = @role", ("role", role)));
    }

    [Fact]
    public async Task ApplicationRole_RunsTheProvidersWork_ClusterJoinsStoresStateAndDeliversATransfer()
    {
        var cluster = await AccountCluster.StartAsync(fixture.Postgres, $"role-{Guid.NewGuid():N}", silos: 1, connectionString: RoleConnectionString);
        try
        {
            var grains = cluster.Client;
            var (source, from) = await TestAccounts.OpenFundedAsync(grains, 1000);
            var (destination, to) = await TestAccounts.OpenFundedAsync(grains, 0);
            Assert.Equal(OperationStatus.Succeeded, (await source.Withdraw(TestIds.NewOperationId(), 100)).Status);

            // A transfer registers a reminder (reminders table) and writes the transfer index and both accounts.
            var transferId = TestIds.NewOperationId();
            Assert.Equal(OperationStatus.Succeeded, (await grains.GetGrain<ITransferGrain>(transferId).Start(from, to, 300)).Status);
            Assert.Equal(TransferState.Completed, (await TransferCompletion.WaitFinishedAsync(grains, transferId, TimeSpan.FromSeconds(30))).State);
            Assert.Equal(600L, (await source.GetSnapshot()).Balance);
            Assert.Equal(300L, (await destination.GetSnapshot()).Balance);
            Assert.True(await fixture.Postgres.QueryScalarAsync<long>(
                "SELECT count(*) FROM orleansmembershiptable WHERE status = 3 AND deploymentid = @cluster",
                ("cluster", cluster.Options.ClusterId)) >= 1);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
