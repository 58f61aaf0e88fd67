using System.Diagnostics;
using System.Globalization;

namespace ReliableMessaging.Tooling;

/// <summary>
/// A throwaway PostgreSQL cluster in a fresh temporary folder on a free loopback port, with the
/// project's schema applied, driven through scripts/postgres.sh: the same script the README's
/// commands use, which runs initdb and postgres as the postgres user when called as root.
/// Disposing stops it and deletes its folder.
/// </summary>
public sealed class ScratchPostgres : IAsyncDisposable
{
    /// <summary>The database scripts/postgres.sh creates and applies the schema to.</summary>
    public const string Database = "reliablemessaging";

    private readonly string _repositoryRoot;
    private readonly TimeSpan _commandTimeout;

    private ScratchPostgres(string repositoryRoot, string directory, int port, TimeSpan commandTimeout)
    {
        _repositoryRoot = repositoryRoot;
        Directory = directory;
        Port = port;
        _commandTimeout = commandTimeout;
    }

    /// <summary>The cluster's folder (data, log and socket).</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>
    /// Starts a new cluster in a temporary folder named <paramref name="folderPrefix"/>-GUID; each
    /// script call may take <paramref name="commandTimeout"/> before it is killed and reported. Should
    /// <paramref name="ownerProcessId"/> (this process unless given) end without disposing it, the
    /// server is stopped and its folder deleted within seconds.
    /// </summary>
    public static async Task<ScratchPostgres> StartAsync(string repositoryRoot, string folderPrefix, TimeSpan commandTimeout, int? ownerProcessId = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"{folderPrefix}-{Guid.NewGuid():N}");
        var server = new ScratchPostgres(repositoryRoot, directory, FreePorts.One(), commandTimeout);
        await server.StartAgainAsync();
        WatchOwner(repositoryRoot, directory, ownerProcessId ?? Environment.ProcessId);
        return server;
    }

    /// <summary>Installs the server binaries if they are missing (as root) and returns their folder.</summary>
    public static async Task<string> InstallAsync(string repositoryRoot, TimeSpan timeout) =>
        (await RunScriptAsync(repositoryRoot, timeout, "install")).StandardOutput.Trim();

    /// <summary>Starts (or restarts) the server on the same folder and port.</summary>
    public Task StartAgainAsync() =>
        RunScriptAsync(_repositoryRoot, _commandTimeout, "start", "--dir", Directory, "--port", Port.ToString(CultureInfo.InvariantCulture));

    /// <summary>Applies silo-config/sql to the running server again (an upgrade); returns what the script reported.</summary>
    public async Task<string> ApplySchemaAsync() =>
        (await RunScriptAsync(_repositoryRoot, _commandTimeout, "apply-schema", "--port", Port.ToString(CultureInfo.InvariantCulture))).StandardError;

    /// <summary>Stops the server at once (fast shutdown: open connections are terminated).</summary>
    public Task StopAsync() => RunScriptAsync(_repositoryRoot, _commandTimeout, "stop", "--dir", Directory);

    /// <summary>A connection string for the superuser; <paramref name="settings"/> (e.g. "Timeout=5") are appended.</summary>
    public string ConnectionString(string settings) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Database={Database};Username=postgres;{settings}");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless: the server is already stopped.
        }
        catch (UnauthorizedAccessException)
        {
            // The same: its files belong to the postgres user when the script ran as root.
        }
    }

    // The server runs in a session of its own, so it outlives a process that ends without disposing it (a test
    // host killed by a cancelled test run, a crash, a benchmark killed). A watcher stops it and deletes its folder
    // once this process is gone; it ends by itself once the folder is (a disposal). It is started through a
    // shell that exits at once, so it is no child of this process and a kill of this process's tree spares it.
    private static void WatchOwner(string repositoryRoot, string directory, int ownerProcessId)
    {
        const string Watcher = """
            while kill -0 "$1" 2>/dev/null && [ -d "$3" ]; do sleep 2; done
            [ -d "$3" ] || exit 0
            bash "$2" stop --dir "$3" && rm -rf "$3"
            """;
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-c", "setsid bash -c \"$0\" scratch-postgres-watcher \"$@\" </dev/null >/dev/null 2>&1 &",
            Watcher, ownerProcessId.ToString(CultureInfo.InvariantCulture), Path.Combine(repositoryRoot, "scripts", "postgres.sh"), directory,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var launcher = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        launcher.WaitForExit();
    }

    private static async Task<ProcessResult> RunScriptAsync(string repositoryRoot, TimeSpan timeout, params string[] arguments) =>
        (await ProcessRunner.RunAsync("bash", [Path.Combine(repositoryRoot, "scripts", "postgres.sh"), .. arguments], null, timeout, workingDirectory: repositoryRoot))
            .EnsureSucceeded();
}
