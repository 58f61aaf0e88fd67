using System.Diagnostics;

namespace ReliableMessaging.Tooling;

/// <summary>
/// A long-running child (a silo, a front end) whose output goes to a log file, line by line;
/// disposing kills its whole process tree.
/// </summary>
public sealed class BackgroundProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _logging;

    private BackgroundProcess(Process process, Task logging)
    {
        _process = process;
        _logging = logging;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process ID (for <c>dotnet app.dll</c>, the app's own process).</summary>
    public int Id => _process.Id;

    public static BackgroundProcess Start(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, string workingDirectory, string logPath)
    {
        var process = Process.Start(ProcessRunner.StartInfo(fileName, arguments, environment, workingDirectory))
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        return new BackgroundProcess(process, LogAsync(process, logPath));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await LinePump.DrainAsync(_logging);
        _process.Dispose();
    }

    private static async Task LogAsync(Process process, string logPath)
    {
        await using var log = new StreamWriter(logPath) { AutoFlush = true };
        void Write(string line)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }

        await Task.WhenAll(LinePump.PumpAsync(process.StandardOutput, Write), LinePump.PumpAsync(process.StandardError, Write));
    }
}
