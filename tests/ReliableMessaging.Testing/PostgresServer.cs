using Npgsql;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for one fixture (<see cref="ScratchPostgres"/>: a free loopback
/// port, the project's schema, started through scripts/postgres.sh, so the tests also prove that
/// script). Never skips: if PostgreSQL cannot start, the test fails.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>How long one scripts/postgres.sh call may take before it is killed and the test fails.</summary>
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(5);

    private readonly ScratchPostgres _server;

    private PostgresServer(ScratchPostgres server)
    {
        _server = server;
        ConnectionString = server.ConnectionString("Timeout=5;Command Timeout=15");
    }

    public int Port => _server.Port;

    public string ConnectionString { get; }

    /// <summary>
    /// Starts a server with the project's schema. A new database keeps 7 years of journal history whatever a
    /// silo is configured with (rm_journal_minimum_retention); tests that prune act as an owner who allowed
    /// it and lower it to 0, unless <paramref name="keepMinimumRetention"/> (a test of that default).
    /// </summary>
    public static async Task<PostgresServer> StartAsync(bool keepMinimumRetention = false)
    {
        var server = new PostgresServer(await ScratchPostgres.StartAsync(RepositoryPaths.Root, "rm-pg", ScriptTimeout));
        if (!keepMinimumRetention)
        {
            await server.SetMinimumRetentionAsync(TimeSpan.Zero);
        }

        return server;
    }

    /// <summary>Sets the database owner's minimum retention of the journal, as the owner does.</summary>
    public async Task SetMinimumRetentionAsync(TimeSpan retention)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "INSERT INTO rm_journal_minimum_retention (retention) VALUES ($1) ON CONFLICT (singleton) DO UPDATE SET retention = excluded.retention", connection);
        command.Parameters.Add(new() { Value = retention });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Starts (or restarts) the server on the same data directory and port.</summary>
    public Task StartAgainAsync() => _server.StartAgainAsync();

    /// <summary>Applies the project's schema again, as an upgrade of a live database does; returns the script's messages.</summary>
    public Task<string> ApplySchemaAsync() => _server.ApplySchemaAsync();

    /// <summary>Stops the server at once (fast shutdown: open connections are terminated).</summary>
    public Task StopAsync() => _server.StopAsync();

    public async Task<T> QueryScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
