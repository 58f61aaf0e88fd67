using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// How a silo or a front end that cannot start says so: one line on standard error and an exit code
/// a supervisor can tell apart, instead of an unhandled exception's abort (134) and its stack trace.
/// Only the failures meant here are mapped: settings that cannot be used (<see cref="SettingsExitCode"/>:
/// fix the configuration, a restart will not help) and a database that fails at start
/// (<see cref="DatabaseExitCode"/>: a restart may). Anything else is a bug and stays an unhandled
/// exception, with its stack trace.
/// </summary>
public static class StartupFailure
{
    /// <summary>EX_CONFIG (sysexits.h): a setting is unknown, malformed or out of its bounds.</summary>
    public const int SettingsExitCode = 78;

    /// <summary>EX_UNAVAILABLE (sysexits.h): the database could not be reached or refused the process at start.</summary>
    public const int DatabaseExitCode = 69;

    /// <summary>Builds and runs the host in <paramref name="run"/>: its exit code, or the failure's after its line.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> run, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return await run();
        }
        catch (Exception exception) when (Describe(exception) is { } failure)
        {
            await error.WriteLineAsync(failure.Line);
            return failure.ExitCode;
        }
    }

    /// <summary>The exit code and the line for a failure meant here; null for anything else (a bug).</summary>
    public static (int ExitCode, string Line)? Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // Start-up runs hosted services' starts together: several failures arrive as one aggregate,
        // mapped only when every one of them is.
        if (exception is AggregateException aggregate)
        {
            var failures = aggregate.Flatten().InnerExceptions.Select(Describe).ToList();
            return failures.Count > 0 && failures.All(failure => failure is not null)
                ? (failures.Max(failure => failure!.Value.ExitCode), string.Join(" ", failures.Select(failure => failure!.Value.Line)))
                : null;
        }

        if (IsSettings(exception))
        {
            return (SettingsExitCode, $"settings: {Sentence(exception.Message)} Nothing was started; fix the setting and start again.");
        }

        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is DbException database)
            {
                return (DatabaseExitCode, $"database: {Sentence(database.Message)} Nothing was started (ConnectionStrings:{ClusterDatabase.ConnectionStringName}); start again once it answers.");
            }
        }

        return null;
    }

    private static bool IsSettings(Exception exception) =>
        exception is SettingsException or OptionsValidationException or ValidationException or OrleansConfigurationException

            // The configuration system's own: a key the options do not have (strict binding), a value
            // that does not convert, a settings file that does not parse.
            || (exception is InvalidOperationException or InvalidDataException or FormatException && ThrownByConfiguration(exception));

    /// <summary>
    /// Thrown in the configuration system's code, or wrapping what it threw there (a file provider
    /// rethrows its parser's error inside its own).
    /// </summary>
    private static bool ThrownByConfiguration(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current.TargetSite?.DeclaringType?.Namespace is { } thrower
                && thrower.StartsWith(typeof(ConfigurationBinder).Namespace!, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The message on one line, ending as a sentence.</summary>
    private static string Sentence(string message)
    {
        var line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.EndsWith('.') ? line : line + ".";
    }
}
