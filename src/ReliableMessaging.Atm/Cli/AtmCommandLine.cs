using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ReliableMessaging.Atm.Faults;

namespace ReliableMessaging.Atm.Cli;

/// <summary>
/// The simulator's command line (System.CommandLine): <c>--help</c> lists every option with its
/// default; a wrong option or value is one line on stderr and exit code 2.
/// </summary>
public static class AtmCommandLine
{
    /// <summary>Exit code for a command line that cannot be used.</summary>
    public const int UsageError = 2;

    private static readonly Option<Uri> Api = new("--api")
    {
        Description = "the front end",
        HelpName = "URL",
        DefaultValueFactory = _ => new Uri("http://127.0.0.1:5080/"),
        CustomParser = ParseApi,
    };

    private static readonly Option<int> Atms = Int("--atms", "ATMs playing at once", 10, 1, 10_000);
    private static readonly Option<int> AccountsPerAtm = Int("--accounts-per-atm", "accounts each ATM opens and uses", 2, 1, 1000);
    private static readonly Option<string> Duration = DurationOption("--duration", "how long new operations are issued", "60s");
    private static readonly Option<string> ThinkTime = DurationOption("--think-time", "mean pause between one ATM's operations", "100ms");
    // Within what the client library's options accept (10 ms to 1 day), or the run would stop on its validation.
    private static readonly Option<string> ClientTimeout = DurationOption("--client-timeout", "how long one HTTP attempt may take, and 1 s more to read the answer (longer than the front end's 5 s grain-call deadline)", "10s",
        positive: true, max: TimeSpan.FromDays(1), min: TimeSpan.FromMilliseconds(10));
    private static readonly Option<int> MaxAttempts = Int("--max-attempts", "attempts per operation before it counts as unanswered", 40, 1, 10_000);
    private static readonly Option<string> MaxBackoff = DurationOption("--max-backoff", "longest pause between attempts (a longer Retry-After is honoured)", "2s", max: TimeSpan.FromDays(1));
    private static readonly Option<double> DuplicateRate = Rate("--duplicate-rate", "share of answered operations sent once more on purpose", 0.05);
    private static readonly Option<double> TransferRatio = Rate("--transfer-ratio", "share of operations that are transfers to another account of the run (0 = none)", 0.2);
    private static readonly Option<double> AttackRatio = Rate("--attack-ratio",
        "share of transfers and operations an attacker goes after with colliding keys, each to be refused as documented (0 = no attacker)", 0);
    private static readonly Option<double> AheadRatio = Rate("--ahead-ratio",
        "share of transfers whose ID is stamped --ahead-by in the future, as from a client whose clock runs ahead", 0);
    private static readonly Option<string> AheadBy = DurationOption("--ahead-by",
        "how far ahead those IDs are (just under Accounts:MaxClockSkew, silos whose clocks differ refuse some as from the future)", "0s");
    private static readonly Option<int> SharedAccounts = Int("--shared-accounts",
        "hot-account mode: every ATM plays on the same N accounts instead of its own (0 = each ATM has --accounts-per-atm of its own)", 0, 0, 10_000);
    private static readonly Option<int> RetireAfter = Int("--retire-after",
        "operations after which an ATM swaps an account of its own for a fresh one (0 = never)", 0, 0, 10_000_000);
    private static readonly Option<int?> Seed = new("--seed")
    {
        Description = "random seed (default: random)",
        HelpName = "N",
    };

    private static readonly Option<string?> ClusterDirectory = new("--cluster-dir")
    {
        Description = "the run directory of scripts/cluster.sh to inject faults into (default: none, no faults)",
        HelpName = "DIR",
    };

    private static readonly Option<string?> ClusterScript = new("--cluster-script")
    {
        Description = "default: scripts/cluster.sh of this repository",
        HelpName = "PATH",
    };

    private static readonly Option<string> KillEvery = DurationOption("--kill-every", "SIGKILL a random silo this often, then restart it (0 = never)", "20s");
    private static readonly Option<string> RestartAfter = DurationOption("--restart-after", "how long a killed silo stays down", "3s");
    private static readonly Option<string> PauseEvery = DurationOption("--pause-every", "SIGSTOP a random silo this often, SIGCONT it after --pause-for (0 = never)", "0s");
    private static readonly Option<string> PauseFor = DurationOption("--pause-for", "how long a paused silo stays stopped", "30s");
    private static readonly Option<int> MaxPauses = Int("--max-pauses", "at most this many pauses (0 = as many as --pause-every fits in)", 0, 0, 100_000);
    private static readonly Option<string> HangDatabasePathEvery = DurationOption("--hang-db-path-every",
        "hang a random silo's way to PostgreSQL this often, until it steps out of the cluster (needs a cluster started with --db-path-proxies; 0 = never)", "0s");
    private static readonly Option<int> MaxDatabasePathHangs = Int("--max-db-path-hangs", "at most this many database path hangs (0 = as many as --hang-db-path-every fits in)", 0, 0, 100_000);
    private static readonly Option<string> StepOutWait = DurationOption("--step-out-wait",
        "how long a silo whose database path hangs is given to step out before the path heals (its DatabasePath:StepOutAfter and then some; at most 200s)", "90s",
        positive: true, max: ClusterControl.CommandTimeout - TimeSpan.FromSeconds(40));
    private static readonly Option<string> FaultOverrun = DurationOption("--fault-overrun",
        "how long traffic may go on past --duration while scheduled faults are still being injected (a slow host pushes them back; 0 = stop at --duration)", "60s");
    private static readonly Option<int> PostgresRestarts = Int("--postgres-restarts", "PostgreSQL restarts spread over the run", 1, 0, 1000);
    private static readonly Option<string> PostgresDown = DurationOption("--postgres-down", "how long PostgreSQL stays down each time", "3s");
    private static readonly Option<string> StorageFaultsEvery = DurationOption("--storage-faults-every", "kill the database connections this often, failing in-flight writes (0 = never)", "0s");
    private static readonly Option<string> Settle = DurationOption("--settle", "wait before reconciling when some operations never got an answer", "15s");
    private static readonly Option<string> TransferWait = DurationOption("--transfer-wait", "how long the checker waits for accepted transfers to leave pending", "60s");
    private static readonly Option<string> ProgressEvery = DurationOption("--progress-every", "progress line period", "5s", positive: true);
    private static readonly Option<string> ThroughputInterval = DurationOption("--throughput-interval", "interval of the summary's completed-operations table", "5s", positive: true);
    private static readonly Option<string?> SummaryJson = new("--summary-json")
    {
        Description = "also write the summary as JSON to this file (default: none)",
        HelpName = "PATH",
    };

    /// <summary>
    /// Parses <paramref name="args"/> and runs <paramref name="run"/> with the options; prints help
    /// (exit 0) or one line of error (exit 2) instead when that is what the command line asks for.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, Func<AtmOptions, CancellationToken, Task<int>> run, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(error);
        var command = CreateCommand();
        command.SetAction((parse, token) => run(ToOptions(parse), token));
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine(string.Join(" ", parsed.Errors.Select(e => e.Message)) + " (--help lists the options)");
            return UsageError;
        }

        // No default exception handler (a failure of the run is the run's to report, not a usage error) and no signal
        // handling of its own: Program.cs turns Ctrl-C and SIGTERM into a cancellation the run reacts to.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken);
    }

    /// <summary>The options of <paramref name="args"/>, or the one-line error.</summary>
    public static (AtmOptions? Options, string? Error) Parse(string[] args)
    {
        var parsed = CreateCommand().Parse(args);
        return parsed.Errors.Count > 0 ? (null, string.Join(" ", parsed.Errors.Select(e => e.Message))) : (ToOptions(parsed), null);
    }

    private static RootCommand CreateCommand()
    {
        var command = new RootCommand("""
            ReliableMessaging ATM simulator and checker: many ATMs play deposits, withdrawals and transfers over HTTP
            while faults are injected (with --cluster-dir), then every outcome is reconciled.
            Durations take a unit: 500ms, 45s, 10m, 1h.
            Exit code: 0 no violation, 1 violations or unexpected answers, 2 bad usage, 3 the run could not be carried out.
            """);
        Option[] options =
        [
            Api, Atms, AccountsPerAtm, Duration, ThinkTime, ClientTimeout, MaxAttempts, MaxBackoff, DuplicateRate, TransferRatio, AttackRatio, AheadRatio, AheadBy,
            SharedAccounts, RetireAfter, Seed,
            ClusterDirectory, ClusterScript, KillEvery, RestartAfter, PauseEvery, PauseFor, MaxPauses, HangDatabasePathEvery, MaxDatabasePathHangs, StepOutWait, FaultOverrun,
            PostgresRestarts, PostgresDown, StorageFaultsEvery, Settle, TransferWait, ProgressEvery, ThroughputInterval, SummaryJson,
        ];
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        return command;
    }

    private static AtmOptions ToOptions(ParseResult parse) => new()
    {
        Api = parse.GetValue(Api)!,
        Atms = parse.GetValue(Atms),
        AccountsPerAtm = parse.GetValue(AccountsPerAtm),
        Duration = GetDuration(parse, Duration),
        ThinkTime = GetDuration(parse, ThinkTime),
        ClientTimeout = GetDuration(parse, ClientTimeout),
        MaxAttempts = parse.GetValue(MaxAttempts),
        MaxBackoff = GetDuration(parse, MaxBackoff),
        DuplicateRate = parse.GetValue(DuplicateRate),
        TransferRatio = parse.GetValue(TransferRatio),
        AttackRatio = parse.GetValue(AttackRatio),
        AheadRatio = parse.GetValue(AheadRatio),
        AheadBy = GetDuration(parse, AheadBy),
        SharedAccounts = parse.GetValue(SharedAccounts),
        RetireAfter = parse.GetValue(RetireAfter),
        Seed = parse.GetValue(Seed),
        ClusterDirectory = parse.GetValue(ClusterDirectory) is { } directory ? Path.GetFullPath(directory) : null,
        ClusterScript = parse.GetValue(ClusterScript) is { } script ? Path.GetFullPath(script) : null,
        KillEvery = GetDuration(parse, KillEvery),
        RestartAfter = GetDuration(parse, RestartAfter),
        PauseEvery = GetDuration(parse, PauseEvery),
        PauseFor = GetDuration(parse, PauseFor),
        MaxPauses = parse.GetValue(MaxPauses),
        HangDatabasePathEvery = GetDuration(parse, HangDatabasePathEvery),
        MaxDatabasePathHangs = parse.GetValue(MaxDatabasePathHangs),
        StepOutWait = GetDuration(parse, StepOutWait),
        FaultOverrun = GetDuration(parse, FaultOverrun),
        PostgresRestarts = parse.GetValue(PostgresRestarts),
        PostgresDown = GetDuration(parse, PostgresDown),
        StorageFaultsEvery = GetDuration(parse, StorageFaultsEvery),
        Settle = GetDuration(parse, Settle),
        TransferWait = GetDuration(parse, TransferWait),
        ProgressEvery = GetDuration(parse, ProgressEvery),
        ThroughputInterval = GetDuration(parse, ThroughputInterval),
        SummaryJsonPath = parse.GetValue(SummaryJson) is { } summary ? Path.GetFullPath(summary) : null,
    };

    private static Option<int> Int(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            {
                return number;
            }

            result.AddError($"{name}: '{text}' is not a whole number from {min} to {max}.");
            return default;
        },
    };

    private static Option<double> Rate(string name, string description, double defaultValue) => new(name)
    {
        Description = description,
        HelpName = "R",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate is >= 0 and <= 1)
            {
                return rate;
            }

            result.AddError($"{name}: '{text}' is not a number from 0 to 1.");
            return default;
        },
    };

    // A duration stays text until it is read, so that --help shows its default as it would be typed ("60s", not "00:01:00").
    private static Option<string> DurationOption(string name, string description, string defaultText, bool positive = false, TimeSpan? max = null, TimeSpan? min = null)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = "D",
            DefaultValueFactory = _ => defaultText,
        };
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (AtmOptions.TryParseDuration(text) is not { } span || (positive && span <= TimeSpan.Zero))
            {
                result.AddError(positive
                    ? $"{name}: '{text}' is not a positive duration (e.g. 500ms, 45s, 10m)."
                    : $"{name}: '{text}' is not a duration (e.g. 500ms, 45s, 10m).");
            }
            else if (span > max)
            {
                result.AddError($"{name}: '{text}' is longer than {max.Value.TotalSeconds:0} s.");
            }
            else if (span < min)
            {
                result.AddError($"{name}: '{text}' is shorter than {min.Value.TotalMilliseconds:0} ms.");
            }
        });
        return option;
    }

    private static TimeSpan GetDuration(ParseResult parse, Option<string> option) => AtmOptions.TryParseDuration(parse.GetValue(option))!.Value;

    private static Uri? ParseApi(ArgumentResult result)
    {
        var text = Single(result);
        if (Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        result.AddError($"--api: '{text}' is not an http(s) URL.");
        return null;
    }

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
}
