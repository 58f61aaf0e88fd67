using System.Net.Sockets;

namespace ReliableMessaging.Deployment.Tests.Tooling;

/// <summary>
/// The throwaway PostgreSQL of the tests and the benchmark runs in a session of its own: a process that
/// starts one and dies without disposing it (a cancelled test run, a crash) must not leave it running.
/// </summary>
public sealed class ScratchPostgresTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan WatcherBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OwnerDiesWithoutDisposingIt_ServerStoppedAndFolderDeleted()
    {
        var ownerLog = Path.Combine(Path.GetTempPath(), $"rm-owner-{Guid.NewGuid():N}.log");
        var owner = BackgroundProcess.Start("sleep", ["300"], null, Path.GetTempPath(), ownerLog);
        await using var server = await ScratchPostgres.StartAsync(RepositoryPaths.Root, "rm-pg-owner", ScriptTimeout, owner.Id);
        Assert.True(await AcceptsAsync(server.Port), "the server did not start");

        await owner.DisposeAsync();
        File.Delete(ownerLog);

        var gone = await WithinAsync(async () => !Directory.Exists(server.Directory) && !await AcceptsAsync(server.Port));
        Assert.True(gone, $"the server on port {server.Port} or its folder {server.Directory} outlived its owner by {WatcherBound.TotalSeconds} s");
    }

    [Fact]
    public async Task Disposed_ItsWatcherEndsToo()
    {
        var server = await ScratchPostgres.StartAsync(RepositoryPaths.Root, "rm-pg-watched", ScriptTimeout);
        Assert.True(ProcessesNaming(server.Directory, "scratch-postgres-watcher") == 1, "no watcher runs beside the server");

        await server.DisposeAsync();

        Assert.True(await WithinAsync(() => Task.FromResult(ProcessesNaming(server.Directory, "") == 0)), "a process naming the server's folder outlived its disposal");
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> WithinAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + WatcherBound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        return true;
    }

    // Processes whose command line names the folder and holds the marker: the server's and its watcher's.
    private static int ProcessesNaming(string directory, string marker) =>
        Directory.EnumerateDirectories("/proc")
            .Where(path => int.TryParse(Path.GetFileName(path), out _))
            .Count(path =>
            {
                try
                {
                    var commandLine = File.ReadAllText(Path.Combine(path, "cmdline"));
                    return commandLine.Contains(directory, StringComparison.Ordinal) && commandLine.Contains(marker, StringComparison.Ordinal);
                }
                catch (IOException)
                {
                    return false; // the process ended meanwhile
                }
                catch (UnauthorizedAccessException)
                {
                    return false;
                }
            });
}
