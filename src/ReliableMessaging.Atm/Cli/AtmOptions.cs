using System.Globalization;

namespace ReliableMessaging.Atm.Cli;

/// <summary>The simulator's settings, read from the command line by <see cref="AtmCommandLine"/>. Durations take a unit: <c>500ms</c>, <c>45s</c>, <c>10m</c>.</summary>
public sealed class AtmOptions
{
    public Uri Api { get; init; } = new("http://127.0.0.1:5080/");

    public int Atms { get; init; } = 10;

    public int AccountsPerAtm { get; init; } = 2;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int MaxAttempts { get; init; } = 40;

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    public double DuplicateRate { get; init; } = 0.05;

    public double TransferRatio { get; init; } = 0.2;

    public TimeSpan TransferWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Share of transfers and operations the attacker goes after with colliding keys (0: no attacker).</summary>
    public double AttackRatio { get; init; }

    /// <summary>Share of transfers whose ID is stamped <see cref="AheadBy"/> in the future, as from a client whose clock runs ahead.</summary>
    public double AheadRatio { get; init; }

    public TimeSpan AheadBy { get; init; }

    /// <summary>Hot-account mode: every ATM plays on the same this many accounts (0: each ATM has its own).</summary>
    public int SharedAccounts { get; init; }

    /// <summary>Operations after which an ATM swaps one of its own accounts for a fresh one (0: never).</summary>
    public int RetireAfter { get; init; }

    public int? Seed { get; init; }

    public string? ClusterDirectory { get; init; }

    public string? ClusterScript { get; init; }

    public TimeSpan KillEvery { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan RestartAfter { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan PauseEvery { get; init; } = TimeSpan.Zero;

    public TimeSpan PauseFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many pauses; 0 for as many as the period fits in.</summary>
    public int MaxPauses { get; init; }

    public TimeSpan HangDatabasePathEvery { get; init; } = TimeSpan.Zero;

    /// <summary>At most this many database path hangs; 0 for as many as the period fits in.</summary>
    public int MaxDatabasePathHangs { get; init; }

    /// <summary>How long a silo whose database path hangs is given to step out of the cluster before the path heals.</summary>
    public TimeSpan StepOutWait { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long traffic may go on past <see cref="Duration"/> while scheduled faults are still being injected (0: never).</summary>
    public TimeSpan FaultOverrun { get; init; } = TimeSpan.FromSeconds(60);

    public int PostgresRestarts { get; init; } = 1;

    public TimeSpan PostgresDown { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan StorageFaultsEvery { get; init; } = TimeSpan.Zero;

    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ThroughputInterval { get; init; } = TimeSpan.FromSeconds(5);

    public string? SummaryJsonPath { get; init; }

    /// <summary>Reads <c>500ms</c>, <c>45s</c>, <c>10m</c>, <c>1h</c>, or a plain TimeSpan such as <c>00:00:45</c>; null when it is none.</summary>
    public static TimeSpan? TryParseDuration(string? value)
    {
        if (value is null)
        {
            return null;
        }

        (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, scale) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                && number >= 0 && double.IsFinite(number))
            {
                return TimeSpan.FromMilliseconds(number * scale);
            }
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }
}
