using System.Diagnostics;
using System.Globalization;

namespace ReliableMessaging.Atm.Faults;

/// <summary>
/// Drives scripts/cluster.sh for one cluster run directory: the same commands an operator types,
/// so the faults are real (a SIGKILLed process, a stopped PostgreSQL), not simulated in-process.
/// </summary>
public sealed class ClusterControl(string script, string runDirectory)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    /// <summary>Finds scripts/cluster.sh above the current directory or this program's folder.</summary>
    public static string? FindScript()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scripts", "cluster.sh");
                if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "ReliableMessaging.sln")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>How many silos the cluster was started with (SILO_COUNT in its cluster.env).</summary>
    public int ReadSiloCount()
    {
        var settings = Path.Combine(runDirectory, "cluster.env");
        if (!File.Exists(settings))
        {
            throw new InvalidOperationException($"{settings} not found: start the cluster with scripts/cluster.sh --run-dir {runDirectory} start.");
        }

        foreach (var line in File.ReadLines(settings))
        {
            if (line.StartsWith("SILO_COUNT=", StringComparison.Ordinal)
                && int.TryParse(line["SILO_COUNT=".Length..].Trim('\'', '"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
            {
                return count;
            }
        }

        throw new InvalidOperationException($"{settings} has no SILO_COUNT.");
    }

    /// <summary>Runs one subcommand; returns whether it succeeded and what it printed.</summary>
    public async Task<(bool Succeeded, string Output)> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--run-dir");
        start.ArgumentList.Add(runDirectory);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (false, $"cluster.sh {string.Join(' ', arguments)} did not finish in {CommandTimeout.TotalMinutes} min");
        }

        var output = ((await stdout) + (await stderr)).Trim();
        return (process.ExitCode == 0, output);
    }
}
