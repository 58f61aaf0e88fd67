using System.Diagnostics;

namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>A built project (dll) run as its own process, as in production; killed on dispose.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _name;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    public static ChildProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.Exited += (_, _) => { lock (log) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process, name);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process ID (<c>dotnet app.dll</c> runs the app in this very process).</summary>
    public int Id => _process.Id;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Console.WriteLine($"  stopped {_name}");
    }
}
