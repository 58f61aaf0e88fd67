using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>A throwaway PostgreSQL (fsync on) started with scripts/postgres.sh, schema applied.</summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _repositoryRoot;
    private readonly string _directory;

    private LocalPostgres(string repositoryRoot, string directory, int port, string binDirectory)
    {
        _repositoryRoot = repositoryRoot;
        _directory = directory;
        Port = port;
        BinDirectory = binDirectory;
    }

    public int Port { get; }

    public string BinDirectory { get; }

    public static string Database => "reliablemessaging";

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database={Database};Username=postgres;Maximum Pool Size=200";

    public static async Task<LocalPostgres> StartAsync(string repositoryRoot)
    {
        var script = Path.Combine(repositoryRoot, "scripts", "postgres.sh");
        var binDirectory = (await Shell.RunAsync("bash", [script, "install"])).Trim();
        var directory = Path.Combine(Path.GetTempPath(), $"rm-bench-{Guid.NewGuid():N}");
        var postgres = new LocalPostgres(repositoryRoot, directory, FreePort(), binDirectory);
        var port = postgres.Port.ToString(CultureInfo.InvariantCulture);
        await Shell.RunAsync("bash", [script, "start", "--dir", directory, "--port", port]);

        // pgbench's 64 clients come on top of the silo's and the front end's connection pools.
        await postgres.ExecuteAsync("ALTER SYSTEM SET max_connections = 300");

        // What each write makes the database do, statement by statement (plpgsql's inner ones too).
        await postgres.ExecuteAsync("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
        await Shell.RunAsync("bash", [script, "stop", "--dir", directory]);
        await Shell.RunAsync("bash", [script, "start", "--dir", directory, "--port", port]);
        NpgsqlConnection.ClearAllPools();
        await postgres.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

        // The module's settings exist only once it is loaded.
        await postgres.ExecuteAsync("ALTER SYSTEM SET pg_stat_statements.track = 'all'");
        await postgres.ExecuteAsync("ALTER SYSTEM SET pg_stat_statements.track_planning = on");
        await postgres.ExecuteAsync("SELECT pg_reload_conf()");
        return postgres;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

    public async ValueTask DisposeAsync()
    {
        await Shell.RunAsync("bash", [Path.Combine(_repositoryRoot, "scripts", "postgres.sh"), "stop", "--dir", _directory]);
        Directory.Delete(_directory, recursive: true);
    }
}
