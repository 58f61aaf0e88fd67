using System.Globalization;
using Npgsql;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>A throwaway PostgreSQL (fsync on, <see cref="ScratchPostgres"/>) with room for pgbench's clients, schema applied.</summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly ScratchPostgres _server;
    private Task? _disposal;
    private readonly Lock _disposeLock = new();

    private LocalPostgres(ScratchPostgres server, string binDirectory)
    {
        _server = server;
        BinDirectory = binDirectory;
    }

    public int Port => _server.Port;

    public string BinDirectory { get; }

    public static string Database => ScratchPostgres.Database;

    public string ConnectionString => _server.ConnectionString("Maximum Pool Size=200");

    public static async Task<LocalPostgres> StartAsync(string repositoryRoot)
    {
        // No deadline on the script: installing the binaries or a full start may take long on a slow machine.
        var binDirectory = await ScratchPostgres.InstallAsync(repositoryRoot, Timeout.InfiniteTimeSpan);
        var postgres = new LocalPostgres(await ScratchPostgres.StartAsync(repositoryRoot, "rm-bench", Timeout.InfiniteTimeSpan), binDirectory);

        // pgbench's 64 clients come on top of the silo's and the front end's connection pools.
        await postgres.ExecuteAsync("ALTER SYSTEM SET max_connections = 300");

        // What each write makes the database do, statement by statement (plpgsql's inner ones too).
        await postgres.ExecuteAsync("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
        await postgres._server.StopAsync();
        await postgres._server.StartAgainAsync();
        NpgsqlConnection.ClearAllPools();
        await postgres.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

        // The module's settings exist only once it is loaded.
        await postgres.ExecuteAsync("ALTER SYSTEM SET pg_stat_statements.track = 'all'");
        await postgres.ExecuteAsync("ALTER SYSTEM SET pg_stat_statements.track_planning = on");
        await postgres.ExecuteAsync("SELECT pg_reload_conf()");

        // Only this server's processes are charged to PostgreSQL: the machine may run others (a test
        // suite's scratch servers), whose backends look the same by name.
        var postmaster = CpuSampler.ParentOf(await postgres.ScalarAsync<int>("SELECT pg_backend_pid()"));
        CpuSampler.PostmasterPid = postmaster > 0 ? postmaster : null;
        return postgres;
    }

    public string Binary(string name) => Path.Combine(BinDirectory, name);

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async Task<string> VersionAsync() => await ScalarAsync<string>("SHOW server_version");

    // Once, and every caller waits for it to end: an interrupted run stops its server while the run's own
    // disposal may come too.
    public ValueTask DisposeAsync()
    {
        lock (_disposeLock)
        {
            return new(_disposal ??= _server.DisposeAsync().AsTask());
        }
    }
}
