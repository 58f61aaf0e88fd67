using System.Globalization;

namespace ReliableMessaging.Atm.Cli;

/// <summary>The simulator's command line. Durations take a unit: <c>500ms</c>, <c>45s</c>, <c>10m</c>.</summary>
public sealed class AtmOptions
{
    public const string Usage = """
        ReliableMessaging ATM simulator and checker

          dotnet ReliableMessaging.Atm.dll [options]

        Traffic:
          --api URL                  front end (default http://127.0.0.1:5080)
          --atms N                   ATMs playing at once (default 10)
          --accounts-per-atm N       accounts each ATM opens and uses (default 2)
          --duration D               how long new operations are issued (default 60s)
          --think-time D             mean pause between one ATM's operations (default 100ms)
          --client-timeout D         how long one HTTP attempt may take (default 3s)
          --max-attempts N           attempts per operation before it counts as unanswered (default 40)
          --max-backoff D            longest pause between attempts (default 2s)
          --duplicate-rate R         share of answered operations sent once more on purpose (default 0.05)
          --transfer-ratio R         share of operations that are transfers to another account of the run (default 0.2; 0 = none)
          --window-size N            the accounts' Accounts:OperationWindowSize; an account is retired
                                     after 80% of it so every outcome stays verifiable (default 1000)
          --seed N                   random seed (default: random)
        Faults (need --cluster-dir, the run directory of scripts/cluster.sh):
          --cluster-dir DIR          the cluster to inject faults into
          --cluster-script PATH      default: scripts/cluster.sh of this repository
          --kill-every D             SIGKILL a random silo this often, then restart it (default 20s; 0 = never)
          --restart-after D          how long a killed silo stays down (default 3s)
          --postgres-restarts N      PostgreSQL restarts spread over the run (default 1)
          --postgres-down D          how long PostgreSQL stays down each time (default 3s)
          --storage-faults-every D   kill the database connections this often, failing in-flight writes (default 0 = never)
        Checking and output:
          --settle D                 wait before reconciling when some operations never got an answer (default 15s)
          --transfer-wait D          how long the checker waits for accepted transfers to leave pending (default 60s)
          --progress-every D         progress line period (default 5s)
          --summary-json PATH        also write the summary as JSON
        Exit code: 0 no violation, 1 violations or unexpected answers, 2 bad usage, 3 the run could not be carried out.
        """;

    public Uri Api { get; private set; } = new("http://127.0.0.1:5080/");

    public int Atms { get; private set; } = 10;

    public int AccountsPerAtm { get; private set; } = 2;

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ThinkTime { get; private set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ClientTimeout { get; private set; } = TimeSpan.FromSeconds(3);

    public int MaxAttempts { get; private set; } = 40;

    public TimeSpan MaxBackoff { get; private set; } = TimeSpan.FromSeconds(2);

    public double DuplicateRate { get; private set; } = 0.05;

    public double TransferRatio { get; private set; } = 0.2;

    public TimeSpan TransferWait { get; private set; } = TimeSpan.FromSeconds(60);

    public int WindowSize { get; private set; } = 1000;

    public int? Seed { get; private set; }

    public string? ClusterDirectory { get; private set; }

    public string? ClusterScript { get; private set; }

    public TimeSpan KillEvery { get; private set; } = TimeSpan.FromSeconds(20);

    public TimeSpan RestartAfter { get; private set; } = TimeSpan.FromSeconds(3);

    public int PostgresRestarts { get; private set; } = 1;

    public TimeSpan PostgresDown { get; private set; } = TimeSpan.FromSeconds(3);

    public TimeSpan StorageFaultsEvery { get; private set; } = TimeSpan.Zero;

    public TimeSpan Settle { get; private set; } = TimeSpan.FromSeconds(15);

    public TimeSpan ProgressEvery { get; private set; } = TimeSpan.FromSeconds(5);

    public string? SummaryJsonPath { get; private set; }

    public bool ShowHelp { get; private set; }

    /// <summary>Operations one account takes before the ATM retires it for a fresh one.</summary>
    /// Incoming transfer credits take room in the window too, so transfers make accounts retire earlier.
    public int OperationsPerAccount => Math.Max(1, (int)(WindowSize * 4 / 5 / (1 + (2 * TransferRatio))));

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static AtmOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new AtmOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                options.ShowHelp = true;
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            var value = args[++i];
            switch (name)
            {
                case "--api": options.Api = ParseUri(name, value); break;
                case "--atms": options.Atms = ParseInt(name, value, 1, 10_000); break;
                case "--accounts-per-atm": options.AccountsPerAtm = ParseInt(name, value, 1, 1000); break;
                case "--duration": options.Duration = ParseDuration(name, value); break;
                case "--think-time": options.ThinkTime = ParseDuration(name, value); break;
                case "--client-timeout": options.ClientTimeout = ParsePositiveDuration(name, value); break;
                case "--max-attempts": options.MaxAttempts = ParseInt(name, value, 1, 10_000); break;
                case "--max-backoff": options.MaxBackoff = ParseDuration(name, value); break;
                case "--duplicate-rate": options.DuplicateRate = ParseRate(name, value); break;
                case "--transfer-ratio": options.TransferRatio = ParseRate(name, value); break;
                case "--transfer-wait": options.TransferWait = ParseDuration(name, value); break;
                case "--window-size": options.WindowSize = ParseInt(name, value, 2, 100_000); break;
                case "--seed": options.Seed = ParseInt(name, value, int.MinValue, int.MaxValue); break;
                case "--cluster-dir": options.ClusterDirectory = Path.GetFullPath(value); break;
                case "--cluster-script": options.ClusterScript = Path.GetFullPath(value); break;
                case "--kill-every": options.KillEvery = ParseDuration(name, value); break;
                case "--restart-after": options.RestartAfter = ParseDuration(name, value); break;
                case "--postgres-restarts": options.PostgresRestarts = ParseInt(name, value, 0, 1000); break;
                case "--postgres-down": options.PostgresDown = ParseDuration(name, value); break;
                case "--storage-faults-every": options.StorageFaultsEvery = ParseDuration(name, value); break;
                case "--settle": options.Settle = ParseDuration(name, value); break;
                case "--progress-every": options.ProgressEvery = ParsePositiveDuration(name, value); break;
                case "--summary-json": options.SummaryJsonPath = Path.GetFullPath(value); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        return options;
    }

    /// <summary>Reads <c>500ms</c>, <c>45s</c>, <c>10m</c>, <c>1h</c>, or a plain TimeSpan such as <c>00:00:45</c>.</summary>
    public static TimeSpan ParseDuration(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, scale) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                && number >= 0)
            {
                return TimeSpan.FromMilliseconds(number * scale);
            }
        }

        if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new ArgumentException($"{name}: '{value}' is not a duration (e.g. 500ms, 45s, 10m).");
    }

    private static TimeSpan ParsePositiveDuration(string name, string value)
    {
        var span = ParseDuration(name, value);
        return span > TimeSpan.Zero ? span : throw new ArgumentException($"{name} must be positive.");
    }

    private static int ParseInt(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new ArgumentException($"{name}: '{value}' is not a whole number from {min} to {max}.");

    private static double ParseRate(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate is >= 0 and <= 1
            ? rate
            : throw new ArgumentException($"{name}: '{value}' is not a number from 0 to 1.");

    private static Uri ParseUri(string name, string value) =>
        Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"{name}: '{value}' is not an http(s) URL.");
}
