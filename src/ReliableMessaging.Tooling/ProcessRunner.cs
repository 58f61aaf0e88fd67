using System.Diagnostics;
using System.Text;

namespace ReliableMessaging.Tooling;

/// <summary>
/// Runs a command to completion, capturing what it prints, with a deadline: on timeout (or when
/// <c>cancellationToken</c> fires) the whole process tree is killed, so no script leaves children behind.
/// </summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/>; <paramref name="onLine"/> sees every
    /// line as it arrives (stdout and stderr). Past <paramref name="timeout"/> the tree is killed and the result
    /// says <see cref="ProcessResult.TimedOut"/>; on cancellation it is killed and <see cref="OperationCanceledException"/>
    /// is thrown. Without <paramref name="workingDirectory"/> the child inherits this process's.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout,
        Action<string>? onLine = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var start = StartInfo(fileName, arguments, environment, workingDirectory);
        var command = $"{fileName} {string.Join(' ', start.ArgumentList)}";
        var all = new StringBuilder();
        var standardOutput = new StringBuilder();
        var standardError = new StringBuilder();
        Action<string> Into(StringBuilder own) => line =>
        {
            lock (all)
            {
                own.AppendLine(line);
                all.AppendLine(line);
            }

            onLine?.Invoke(line);
        };

        ProcessResult Result(int exitCode, bool timedOut)
        {
            lock (all)
            {
                return new ProcessResult(command, exitCode, standardOutput.ToString(), standardError.ToString(), all.ToString(), timedOut);
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var pumps = Task.WhenAll(
            LinePump.PumpAsync(process.StandardOutput, Into(standardOutput)),
            LinePump.PumpAsync(process.StandardError, Into(standardError)));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await LinePump.DrainAsync(pumps);
            cancellationToken.ThrowIfCancellationRequested();
            return Result(-1, timedOut: true);
        }

        // The exit can be seen before the last lines are read: read to the end of both streams.
        await pumps;
        return Result(process.ExitCode, timedOut: false);
    }

    internal static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }
}
