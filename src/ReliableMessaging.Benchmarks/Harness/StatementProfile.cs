using System.Globalization;
using System.Text;
using Npgsql;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>
/// What PostgreSQL did during one step, statement by statement (pg_stat_statements, nested
/// statements of functions included), per grain-state write: the top-level calls of
/// <c>orleans_storage_write</c> are the unit, so the silo and pgbench are compared write for write.
/// Also the WAL it wrote (records, full-page images, bytes), the blocks it read from outside shared
/// buffers, the share of state updates that were HOT (no index entry, the row stayed on its page), and
/// the connections: sessions opened during the step (pool growth and pruning; each silo's database path
/// probe opens one every probe interval) and backends connected at its end (the pools' size, with the
/// profile's own connection and any autovacuum worker; PostgreSQL reports both counters with a delay of up to a few seconds).
/// </summary>
public static class StatementProfile
{
    public static Task ResetAsync(LocalPostgres postgres)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        return postgres.ExecuteAsync("SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal'), pg_stat_reset()");
    }

    /// <summary>One line per statement that cost at least 1% of the step's time, per state write.</summary>
    public static async Task<string> DescribeAsync(LocalPostgres postgres, int top = 8)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT toplevel, calls, plans, total_exec_time, total_plan_time, rows, regexp_replace(left(query, 110), '\s+', ' ', 'g')
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_statements%'
            ORDER BY total_exec_time + total_plan_time DESC
            """, connection);
        var rows = new List<(bool TopLevel, long Calls, long Plans, double Exec, double Plan, long Rows, string Query)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetBoolean(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4), reader.GetInt64(5), reader.GetString(6)));
            }
        }

        var writes = rows.Where(r => r.TopLevel && r.Query.Contains("orleans_storage_write", StringComparison.OrdinalIgnoreCase)).Sum(r => r.Calls);
        if (writes == 0)
        {
            return "no state write seen";
        }

        var text = new StringBuilder();
        await using (var storage = new NpgsqlCommand("""
            SELECT wal_records, wal_fpi, wal_bytes::bigint,
                   (SELECT blks_read FROM pg_stat_database WHERE datname = current_database()),
                   (SELECT coalesce(sum(n_tup_upd), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'orleansstorage'),
                   (SELECT coalesce(sum(n_tup_hot_upd), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'orleansstorage'),
                   (SELECT sessions FROM pg_stat_database WHERE datname = current_database()),
                   (SELECT numbackends FROM pg_stat_database WHERE datname = current_database())
            FROM pg_stat_wal
            """, connection))
        await using (var reader = await storage.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            var updates = reader.GetInt64(4);
            text.Append(CultureInfo.InvariantCulture,
                $"WAL per write {reader.GetInt64(0) / (double)writes:F1} records ({reader.GetInt64(1) / (double)writes:F2} full-page images), {reader.GetInt64(2) / (double)writes:F0} B; blocks read from outside shared buffers {reader.GetInt64(3) / (double)writes:F2} per write; state updates HOT {(updates > 0 ? 100.0 * reader.GetInt64(5) / updates : 0):F1} %; sessions opened {reader.GetInt64(6):N0}, backends connected at the end {reader.GetInt32(7)}; ");
        }

        var topLevelTime = rows.Where(r => r.TopLevel).Sum(r => r.Exec + r.Plan);
        text.Append(CultureInfo.InvariantCulture, $"{writes:N0} state writes; top-level statements {rows.Where(r => r.TopLevel).Sum(r => r.Calls) / (double)writes:F2} per write, {topLevelTime * 1000 / writes:F0} µs of statement time per write (plan + execute)");
        foreach (var row in rows.Where(r => r.Exec + r.Plan >= topLevelTime / 100).Take(top))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"; {(row.TopLevel ? "" : "(nested) ")}`{row.Query.Replace('`', '\'')}`: {row.Calls / (double)writes:F2} calls, {row.Plans / (double)writes:F2} plans, {row.Exec * 1000 / writes:F0} µs execute + {row.Plan * 1000 / writes:F0} µs plan per write");
        }

        return text.ToString();
    }
}
