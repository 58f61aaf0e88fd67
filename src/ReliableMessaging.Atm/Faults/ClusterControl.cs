using System.Globalization;
using ReliableMessaging.Tooling;

namespace ReliableMessaging.Atm.Faults;

/// <summary>
/// Drives scripts/cluster.sh for one cluster run directory: the same commands an operator types,
/// so the faults are real (a SIGKILLed process, a stopped PostgreSQL), not simulated in-process.
/// </summary>
public sealed class ClusterControl(string script, string runDirectory)
{
    /// <summary>How long one cluster.sh command may run (a start waits for a silo to join).</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);

    /// <summary>Finds scripts/cluster.sh in the repository above the current directory or this program's folder.</summary>
    public static string? FindScript()
    {
        var root = RepositoryPaths.TryFind(Environment.CurrentDirectory, AppContext.BaseDirectory);
        var script = root is null ? null : Path.Combine(root, "scripts", "cluster.sh");
        return File.Exists(script) ? script : null;
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

    /// <summary>
    /// Runs one subcommand; returns whether it succeeded and what it printed. A command that does not
    /// finish in time, or is cancelled, is killed with its children and reported as failed.
    /// </summary>
    public async Task<(bool Succeeded, string Output)> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        try
        {
            var result = await ProcessRunner.RunAsync(
                "bash", [script, "--run-dir", runDirectory, .. arguments], null, CommandTimeout, cancellationToken: cancellationToken);
            return result.TimedOut
                ? (false, DidNotFinish(arguments))
                : (result.ExitCode == 0, (result.StandardOutput + result.StandardError).Trim());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (false, DidNotFinish(arguments));
        }
    }

    private static string DidNotFinish(string[] arguments) =>
        $"cluster.sh {string.Join(' ', arguments)} did not finish in {CommandTimeout.TotalMinutes} min";
}
