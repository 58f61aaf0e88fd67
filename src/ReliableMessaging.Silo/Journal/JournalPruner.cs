using Microsoft.Extensions.Options;
using Npgsql;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Silo.Journal;

/// <summary>
/// Deletes journal rows older than <see cref="AccountOptions.JournalRetention"/>, when one is set.
/// It first raises the service's pruning floor and only then deletes, so a look-up that misses a
/// pruned row answers "expired" and the ID is never executed again. Each delete adds what it removed
/// to the account's tally (rm_journal_pruned), so the audit and the statement still add up. Every silo runs it; the steps are
/// idempotent, so silos pruning at once only repeat each other's work.
/// </summary>
public sealed partial class JournalPruner(
    NpgsqlDataSource dataSource,
    JournalServiceId serviceId,
    IOptions<AccountOptions> options,
    TimeProvider time,
    ILogger<JournalPruner> logger) : BackgroundService
{
    // Small enough that a batch holds the writers' lock briefly even on a slow database.
    private const int DeleteBatch = 1_000;

    /// <summary>
    /// How long a batch waits for the exclusive lock. The writers' inserts queue behind a waiting
    /// exclusive request (PostgreSQL grants locks in order), so the wait is bounded well below the
    /// accounts' journal stall timeout (5 s); a prune that cannot get the lock tries at the next period.
    /// </summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(1);

    /// <summary>A batch's whole time limit: the writers wait for it while it holds the lock.</summary>
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One pruning pass: raises the floor to now minus the retention, then deletes below it. Returns the rows deleted.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        if (options.Value.JournalRetention is not { } retention)
        {
            return 0;
        }

        // Never above the database's own clock minus the retention: the floor only rises, so one silo
        // whose clock ran ahead would otherwise expire records still inside the retention, for good. The
        // database owner's minimum retention wins over a shorter one configured here (its trigger refuses
        // a floor above it); read in the same statement, so an owner changing it cannot fail the pass.
        long floor;
        var applied = retention;
        await using (var raise = dataSource.CreateCommand("""
            WITH minimum AS (
                SELECT coalesce((SELECT (extract(epoch FROM retention) * 1000)::bigint FROM rm_journal_minimum_retention), 0) AS ms),
            bound AS (
                SELECT least($2, (extract(epoch FROM now()) * 1000)::bigint - greatest($3, minimum.ms)) AS floor, minimum.ms AS minimum_ms
                FROM minimum)
            INSERT INTO rm_journal_retention (service_id, pruned_through_ms)
            SELECT $1, bound.floor FROM bound
            ON CONFLICT (service_id) DO UPDATE
                SET pruned_through_ms = greatest(rm_journal_retention.pruned_through_ms, excluded.pruned_through_ms)
            RETURNING (SELECT floor FROM bound), (SELECT minimum_ms FROM bound)
            """))
        {
            var retentionMs = (long)retention.TotalMilliseconds;
            raise.Parameters.Add(new() { Value = serviceId.Value });
            raise.Parameters.Add(new() { Value = time.GetUtcNow().ToUnixTimeMilliseconds() - retentionMs });
            raise.Parameters.Add(new() { Value = retentionMs });
            await using var reader = await raise.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            floor = reader.GetInt64(0);
            if (reader.GetInt64(1) is var minimumMs && minimumMs > retentionMs)
            {
                applied = TimeSpan.FromMilliseconds(minimumMs);
                LogRetentionRaisedByTheDatabase(logger, retention, applied);
            }
        }

        long deleted = 0;
        while (true)
        {
            // The delete and the per-account tally of what it deleted are one statement: the audit and
            // the statement never see rows gone without their tally, nor a tally without its rows gone.
            // Exclusive against the journal writer's inserts (they hold it shared): an insert either
            // committed before this delete's snapshot, or starts after this commit and sees the tally.
            // The writers queue behind this lock from the moment it is asked for, on every silo: it is
            // waited for at most LockWait, and held for one small delete.
            await using var batch = dataSource.CreateBatch();
            batch.Timeout = (int)BatchTimeout.TotalSeconds;
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('lock_timeout', $1, true)")
            {
                Parameters = { new() { Value = ((int)LockWait.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgresOperationJournal.PruneLockSql) { Parameters = { new() { Value = serviceId.Value } } });
            var delete = new NpgsqlBatchCommand($"""
                WITH deleted AS (
                    DELETE FROM rm_operation_journal WHERE ctid IN (
                        SELECT ctid FROM rm_operation_journal
                        WHERE service_id = $1 AND {PostgresOperationJournal.PrunedCondition("$2")} LIMIT $3)
                    RETURNING account_id, sequence, kind, amount, status),
                tally AS (
                    INSERT INTO rm_journal_pruned (service_id, account_id, records, net_effect, in_transfer, through_sequence)
                    SELECT $1, account_id, count(*),
                           sum(CASE WHEN status <> 0 THEN 0
                                    WHEN kind IN (1, 4, 5) THEN amount
                                    WHEN kind IN (2, 3) THEN -amount
                                    ELSE 0 END)::bigint,
                           sum(CASE WHEN kind = 3 AND status = 0 THEN amount WHEN kind IN (4, 5) THEN -amount ELSE 0 END)::bigint,
                           max(sequence)
                    FROM deleted GROUP BY account_id
                    ON CONFLICT (service_id, account_id) DO UPDATE
                        SET records = rm_journal_pruned.records + excluded.records,
                            net_effect = rm_journal_pruned.net_effect + excluded.net_effect,
                            in_transfer = rm_journal_pruned.in_transfer + excluded.in_transfer,
                            through_sequence = greatest(rm_journal_pruned.through_sequence, excluded.through_sequence)
                    RETURNING 1)
                SELECT count(*) FROM deleted
                """);
            delete.Parameters.Add(new() { Value = serviceId.Value });
            delete.Parameters.Add(new() { Value = floor });
            delete.Parameters.Add(new() { Value = DeleteBatch });
            batch.BatchCommands.Add(delete);
            long rows;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                await reader.NextResultAsync(cancellationToken);
                await reader.NextResultAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                rows = reader.GetInt64(0);
            }

            deleted += rows;
            if (rows < DeleteBatch)
            {
                var flooredAt = DateTimeOffset.FromUnixTimeMilliseconds(floor);
                LogPruned(logger, deleted, flooredAt, applied);
                return deleted;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.JournalRetention is not { } retention)
        {
            return;
        }

        var period = TimeSpan.FromTicks(Math.Clamp(retention.Ticks / 10, TimeSpan.FromMinutes(1).Ticks, TimeSpan.FromHours(1).Ticks));
        using var timer = new PeriodicTimer(period, time);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (NpgsqlException exception)
            {
                // The next pass tries again; nothing depends on pruning being on time.
                LogPruneFailed(logger, exception);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A fault nobody foresaw (a bug): an exception that ended this loop would stop the host, on
                // every silo with the same fault at once. Logged as an error; the next pass tries again.
                LogPruneFaulted(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning,
        Message = "Accounts:JournalRetention is {Configured}, shorter than the database's minimum retention {Minimum} (rm_journal_minimum_retention): pruning keeps the longer one")]
    private static partial void LogRetentionRaisedByTheDatabase(ILogger logger, TimeSpan configured, TimeSpan minimum);

    // The retention that applied (the database owner's minimum when it is longer than the configured one) and the exact floor.
    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Journal pruned: {Rows} rows recorded before {Floor:O} deleted (retention {Retention})")]
    private static partial void LogPruned(ILogger logger, long rows, DateTimeOffset floor, TimeSpan retention);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Journal pruning failed; retrying at the next period")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Error, Message = "Journal pruning failed unexpectedly; retrying at the next period")]
    private static partial void LogPruneFaulted(ILogger logger, Exception exception);
}
