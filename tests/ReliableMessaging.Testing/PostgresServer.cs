using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ReliableMessaging.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for one fixture, on a free loopback port, with the project's
/// schema applied. Started through scripts/postgres.sh, the same script the README's commands use,
/// so the tests also prove that script. Never skips: if PostgreSQL cannot start, the test fails.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;

    private PostgresServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
        ConnectionString = $"Host=127.0.0.1;Port={port};Database=reliablemessaging;Username=postgres;Timeout=5;Command Timeout=15";
    }

    public int Port { get; }

    public string ConnectionString { get; }

    public static async Task<PostgresServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"rm-pg-{Guid.NewGuid():N}");
        var server = new PostgresServer(directory, FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (or restarts) the server on the same data directory and port.</summary>
    public Task StartAgainAsync() =>
        RunScriptAsync("start", "--dir", _directory, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Stops the server at once (fast shutdown: open connections are terminated).</summary>
    public Task StopAsync() => RunScriptAsync("stop", "--dir", _directory);

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

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; the server is already stopped.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunScriptAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "scripts", "postgres.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/postgres.sh {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}
