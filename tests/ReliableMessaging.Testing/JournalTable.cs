using Npgsql;

namespace ReliableMessaging.Testing;

/// <summary>Reads <c>rm_operation_journal</c> directly, as an auditor would, to check what the silos wrote.</summary>
public static class JournalTable
{
    /// <summary>How many rows the journal holds for one operation of one account.</summary>
    public static async Task<long> CountAsync(PostgresServer postgres, string serviceId, string accountId, Guid? operationId = null)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM rm_operation_journal WHERE service_id = $1 AND account_id = $2 AND ($3::uuid IS NULL OR operation_id = $3)",
            connection);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = accountId });
        command.Parameters.Add(new() { Value = (object?)operationId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs one statement against the database (e.g. to tamper with a row the way an attacker or a bug would).</summary>
    public static Task<int> ExecuteAsync(PostgresServer postgres, string sql, params object[] parameters) =>
        RunAsync(postgres, pastTriggers: false, sql, parameters);

    /// <summary>
    /// Runs one statement as a superuser whose session fires no trigger (<c>session_replication_role =
    /// replica</c>): tampering that goes past the journal's own guards, as only the tables' owner can.
    /// </summary>
    public static Task<int> ExecutePastTriggersAsync(PostgresServer postgres, string sql, params object[] parameters) =>
        RunAsync(postgres, pastTriggers: true, sql, parameters);

    private static async Task<int> RunAsync(PostgresServer postgres, bool pastTriggers, string sql, object[] parameters)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        if (pastTriggers)
        {
            await using var replica = new NpgsqlCommand("SET session_replication_role = replica", connection);
            await replica.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return await command.ExecuteNonQueryAsync();
    }
}
