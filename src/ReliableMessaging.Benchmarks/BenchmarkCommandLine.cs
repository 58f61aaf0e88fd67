using System.CommandLine;
using System.Globalization;

namespace ReliableMessaging.Benchmarks;

/// <summary>
/// The benchmark's command line (System.CommandLine): <c>--help</c> lists every option with its
/// default; a wrong option or value is one line on stderr and exit code 2.
/// </summary>
public static class BenchmarkCommandLine
{
    /// <summary>Exit code for a command line that cannot be used.</summary>
    public const int UsageError = 2;

    private static readonly Option<int> Duration = Positive("--duration", "S", "seconds measured per step", 10);
    private static readonly Option<int> Warmup = Positive("--warmup", "S", "seconds of warm-up before each step", 3, allowZero: true);
    private static readonly Option<int> Window = Positive("--window", "N", "Accounts:OperationWindowSize of the main silo (silo-config's default)", 32);
    private static readonly Option<int> Rounds = Positive("--rounds", "N", "rounds of the unique scenario beside its baselines at each concurrency", 3);
    private static readonly Option<string?> Output = new("--out")
    {
        Description = "also write the report (markdown) to this file (default: none; scripts/benchmark.sh passes docs/benchmarks.md)",
        HelpName = "FILE",
    };

    // Text until read, so that --help shows the default as it would be typed.
    private static readonly Option<string> Scenarios = CreateScenarios();

    /// <summary>Parses <paramref name="args"/> and runs <paramref name="run"/>; prints help (exit 0) or one line of error (exit 2) instead when asked.</summary>
    public static async Task<int> InvokeAsync(
        string[] args, Func<BenchmarkSettings, CancellationToken, Task<int>> run, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(error);
        var command = CreateCommand();
        command.SetAction((parse, token) => run(ToSettings(parse, args), token));
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine(string.Join(" ", parsed.Errors.Select(e => e.Message)) + " (--help lists the options)");
            return UsageError;
        }

        // A failure of the run is the run's to report (with its stack), not a usage error. No signal handling of its
        // own: Program.cs turns Ctrl-C and SIGTERM into a cancellation, and the run stops what it started.
        return await parsed.InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, cancellationToken);
    }

    /// <summary>The settings of <paramref name="args"/>, or the one-line error.</summary>
    public static (BenchmarkSettings? Settings, string? Error) Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = CreateCommand().Parse(args);
        return parsed.Errors.Count > 0 ? (null, string.Join(" ", parsed.Errors.Select(e => e.Message))) : (ToSettings(parsed, args), null);
    }

    private static RootCommand CreateCommand()
    {
        var command = new RootCommand("""
            ReliableMessaging benchmark: the pgbench baselines and every scenario side by side in one run against one local PostgreSQL.
            Scenarios: unique (withdrawals over 10,000 accounts through the Orleans client), hot (one hot account), replays, http (withdrawals over HTTP),
            steady: accounts that have each executed 10,000 operations beside fresh ones, in rounds;
            window: full operation windows of 100, 1,000 and 10,000 entries.
            """);
        command.Options.Add(Duration);
        command.Options.Add(Warmup);
        command.Options.Add(Window);
        command.Options.Add(Output);
        command.Options.Add(Scenarios);
        command.Options.Add(Rounds);
        return command;
    }

    private static BenchmarkSettings ToSettings(ParseResult parse, string[] args) =>
        new(TimeSpan.FromSeconds(parse.GetValue(Duration)), TimeSpan.FromSeconds(parse.GetValue(Warmup)), parse.GetValue(Window), parse.GetValue(Output),
            CommandLineSuffix(args))
        {
            Scenarios = ParseScenarios(parse.GetValue(Scenarios))!,
            Rounds = parse.GetValue(Rounds),
        };

    /// <summary>
    /// The arguments as the report prints them after <c>scripts/benchmark.sh</c>: without <c>--out</c>,
    /// which the script passes itself (printed, the command would name it twice and be refused).
    /// </summary>
    private static string CommandLineSuffix(string[] args)
    {
        var kept = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--out")
            {
                i++;
                continue;
            }

            if (!args[i].StartsWith("--out=", StringComparison.Ordinal))
            {
                kept.Add(args[i]);
            }
        }

        return kept.Count == 0 ? "" : " " + string.Join(' ', kept);
    }

    private static Option<int> Positive(string name, string helpName, string description, int defaultValue, bool allowZero = false) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && (number > 0 || (allowZero && number == 0)))
            {
                return number;
            }

            result.AddError($"{name}: '{text}' is not a {(allowZero ? "non-negative" : "positive")} whole number.");
            return default;
        },
    };

    private static Option<string> CreateScenarios()
    {
        var option = new Option<string>("--scenarios")
        {
            Description = "comma-separated subset of the scenarios to run (the pgbench baselines always run)",
            HelpName = "LIST",
            DefaultValueFactory = _ => string.Join(',', BenchmarkSettings.AllScenarios),
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (ParseScenarios(value) is null)
            {
                result.AddError($"--scenarios takes a comma-separated list of {string.Join(',', BenchmarkSettings.AllScenarios)}; got '{value}'.");
            }
        });
        return option;
    }

    private static HashSet<string>? ParseScenarios(string? value)
    {
        var names = (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        return names.Count > 0 && names.All(BenchmarkSettings.AllScenarios.Contains) ? names : null;
    }
}
