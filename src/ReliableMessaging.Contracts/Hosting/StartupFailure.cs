using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// How a silo or a front end that cannot start says so: one line on standard error and an exit code
/// a supervisor can tell apart, instead of an unhandled exception's abort (134) and its stack trace.
/// Only the start (building the host and starting it) is covered, and only the failures meant here:
/// settings that cannot be used (<see cref="SettingsExitCode"/>: fix the configuration, a restart will
/// not help) and a database that cannot be reached at start (<see cref="DatabaseExitCode"/>: a restart
/// may). Anything else, and anything after the start, is a bug or a runtime failure and stays an
/// unhandled exception, with its stack trace.
/// </summary>
public static class StartupFailure
{
    /// <summary>EX_CONFIG (sysexits.h): a setting is unknown, malformed or out of its bounds, or the database refuses the configured login.</summary>
    public const int SettingsExitCode = 78;

    /// <summary>EX_UNAVAILABLE (sysexits.h): the database could not be reached, or is not accepting connections yet, at start.</summary>
    public const int DatabaseExitCode = 69;

    /// <summary>
    /// Builds the host with <paramref name="build"/>, starts it and runs it until it is stopped: 0, or
    /// the start's failure's exit code after its line on <paramref name="error"/>.
    /// </summary>
    public static async Task<int> RunAsync(Func<IHost> build, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(error);
        IHost? host = null;
        try
        {
            host = build();
            await host.StartAsync();
        }
        catch (Exception exception) when (Describe(exception) is { } failure)
        {
            await error.WriteLineAsync(failure.Line);
            await DisposeAfterFailedStartAsync(host, error);
            return failure.ExitCode;
        }
        catch (Exception)
        {
            // Not a failure meant here: it goes on as an unhandled exception, after the host has flushed
            // what it logged about it.
            await DisposeAfterFailedStartAsync(host, error);
            throw;
        }

        try
        {
            await host.WaitForShutdownAsync();
        }
        finally
        {
            await DisposeAsync(host);
        }

        return 0;
    }

    /// <summary>
    /// Disposes a host whose start failed (its logs flushed), without letting a failure of the disposal
    /// (of a half-started runtime) take the start's failure's place: it is written after it.
    /// </summary>
    private static async Task DisposeAfterFailedStartAsync(IHost? host, TextWriter error)
    {
        try
        {
            await DisposeAsync(host).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await error.WriteLineAsync($"(disposing the host after its failed start failed too: {exception.GetType().Name}: {Sentence(exception.Message)})");
        }
    }

    private static async ValueTask DisposeAsync(IHost? host)
    {
        if (host is IAsyncDisposable asynchronous)
        {
            await asynchronous.DisposeAsync();
        }
        else
        {
            host?.Dispose();
        }
    }

    /// <summary>The exit code and the line for a start failure meant here; null for anything else (a bug).</summary>
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
                return DescribeDatabase(database);
            }
        }

        return null;
    }

    /// <summary>
    /// A database failure at start, by its SQLSTATE: a login the server refuses (class 28) or a
    /// database it does not have (3D000) is the configuration's; one it cannot be reached for, or that
    /// is starting or shutting down (08, 53, 57P01-57P03, or no SQLSTATE but transient), may pass with
    /// a restart. Any other (a missing table or grant, an error in the project's own SQL) is not mapped:
    /// a supervisor restarting it for ever would hide it.
    /// </summary>
    private static (int ExitCode, string Line)? DescribeDatabase(DbException database)
    {
        var state = database.SqlState;
        if (state is not null && (state.StartsWith("28", StringComparison.Ordinal) || state == "3D000"))
        {
            return (SettingsExitCode, $"settings: the database refused ConnectionStrings:{ClusterDatabase.ConnectionStringName}: {Sentence(database.Message)} Nothing was started; fix the setting and start again.");
        }

        var unavailable = state is null
            ? database.IsTransient
            : state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal) || state is "57P01" or "57P02" or "57P03";
        return unavailable
            ? (DatabaseExitCode, $"database: {Sentence(database.Message)} Nothing was started (ConnectionStrings:{ClusterDatabase.ConnectionStringName}); start again once it answers.")
            : null;
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

    /// <summary>The message on one line, ending as a sentence, any other control character shown as '?' (a value echoed from a setting or a server cannot drive the terminal).</summary>
    private static string Sentence(string message)
    {
        var words = message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var text = new string(string.Join(' ', words).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return text.EndsWith('.') ? text : text + ".";
    }
}
