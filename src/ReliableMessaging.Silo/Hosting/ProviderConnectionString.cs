using System.Data.Common;
using Npgsql;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>
/// The connection strings a silo uses, from the configured one: the Orleans ADO.NET providers', the
/// journal's and the database path probe's. They skip the reset on return and prepare their statements
/// (every grain-state write opens and returns a pooled connection), bound how long a database that
/// stopped answering can hold a call, and split the process's <c>Maximum Pool Size</c> between their
/// pools, so that a process never holds more connections than it was given. A setting the configured string names explicitly
/// is kept as given (the pool size is split either way).
/// </summary>
public static class ProviderConnectionString
{
    /// <summary>Statements kept prepared per connection: the providers use about 20 distinct queries.</summary>
    public const int MaxAutoPrepare = 32;

    /// <summary>Seconds to open a connection or wait for a pooled one (Npgsql's default: 15).</summary>
    public const int ConnectTimeoutSeconds = 5;

    /// <summary>
    /// Seconds a statement may run (Npgsql's default: 30). The silo's statements take milliseconds; a
    /// database path that hangs (packets dropped, a stalled server) then fails a call within about this
    /// long, as storage-unavailable, instead of holding the account (and its callers) for half a minute.
    /// </summary>
    public const int CommandTimeoutSeconds = 10;

    /// <summary>The providers' connection string (clustering, grain storage, reminders).</summary>
    public static string For(string configured) => Tune(configured, Pool.Providers);

    /// <summary>The journal's reads and its pruner: a pool of their own, the journal's share of the process's but the writer's connection.</summary>
    public static string ForJournal(string configured) => Tune(configured, Pool.Journal);

    /// <summary>The journal writer's: one connection of the journal's share, which nothing else can take.</summary>
    public static string ForJournalWriter(string configured) => Tune(configured, Pool.JournalWriter);

    /// <summary>
    /// The database path probe's: one connection of the process's budget, opened anew for each probe
    /// (not pooled), which connects and runs for at most <paramref name="probeTimeout"/> (rounded up to
    /// whole seconds) whatever the configured string says.
    /// </summary>
    public static string ForProbe(string configured, TimeSpan probeTimeout)
    {
        var builder = new NpgsqlConnectionStringBuilder(Tune(configured, Pool.Probe)) { Pooling = false };
        var seconds = (int)Math.Max(1, Math.Ceiling(probeTimeout.TotalSeconds));
        builder.Timeout = seconds;
        builder.CommandTimeout = seconds;
        return builder.ConnectionString;
    }

    /// <summary>The connections the process may hold in all (its configured <c>Maximum Pool Size</c>, split four ways).</summary>
    public static int TotalPoolSize(string configured) => new NpgsqlConnectionStringBuilder(configured).MaxPoolSize;

    /// <summary>The journal's share of a process's pool of <paramref name="total"/>: one connection for the writer, the rest for short reads and the pruner.</summary>
    public static int JournalPoolSize(int total) => Math.Clamp(total / 4, 2, 10);

    private static string Tune(string configured, Pool pool)
    {
        // NpgsqlConnectionStringBuilder knows every keyword, so ask a plain builder what was written.
        DbConnectionStringBuilder written;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            written = new DbConnectionStringBuilder { ConnectionString = configured };
            builder = new NpgsqlConnectionStringBuilder(configured);
        }
        catch (ArgumentException exception)
        {
            // A malformed string or a keyword Npgsql does not have (the messages name the place, never a password).
            throw new SettingsException($"ConnectionStrings:{ClusterDatabase.ConnectionStringName} cannot be read: {exception.Message}", exception);
        }

        // Measured (docs/benchmark-experiments.md) and not supported: Npgsql calls it experimental and
        // removes it in version 11, and the probe's unpooled connection cannot use it. Refused here,
        // in words, rather than by Npgsql's "Pooling must be on" from the probe at start.
        if (builder.Multiplexing)
        {
            throw new SettingsException(
                "Multiplexing=true is not supported in the silo's connection string: Npgsql treats it as experimental and removes it in version 11. Remove it.");
        }

        // By default Npgsql resets a returned connection with DISCARD ALL, which also drops the
        // cached plans of orleans_storage_write: every write then re-plans it. The providers keep no
        // session state (no SET, temporary tables, advisory locks or LISTEN), and an open
        // transaction is rolled back on return whatever this says.
        if (!Names(written, "No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        // Prepared once per connection instead of parsed and planned on every call.
        if (!Names(written, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        if (!Names(written, "Timeout"))
        {
            builder.Timeout = ConnectTimeoutSeconds;
        }

        if (!Names(written, "Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = CommandTimeoutSeconds;
        }

        // 0 is "wait for ever" to Npgsql: a database path that hangs would then hold every call of the
        // silo's accounts with no end, where a silo promises to fail them within seconds.
        if (builder.Timeout is < 1 or > MaxTimeoutSeconds || builder.CommandTimeout is < 1 or > MaxTimeoutSeconds)
        {
            throw new SettingsException(
                $"Timeout and Command Timeout in the silo's connection string must be between 1 and {MaxTimeoutSeconds} seconds (they are {builder.Timeout} and {builder.CommandTimeout}; 0 means waiting for ever).");
        }

        // Four pools per silo: given P connections, the journal takes its share (its writer one of it),
        // the probe one and the providers the rest, so N processes with P each stay within N x P (the budget docker-compose.yml
        // and scripts/cluster.sh divide PostgreSQL's max_connections by).
        var total = builder.MaxPoolSize;
        if (total < MinimumPoolSize)
        {
            throw new SettingsException(
                $"Maximum Pool Size must be at least {MinimumPoolSize} (it is {total}): a silo splits it between its providers, its journal and its database path probe.");
        }

        builder.MaxPoolSize = pool switch
        {
            Pool.Journal => JournalPoolSize(total) - 1,
            Pool.JournalWriter => 1,
            Pool.Probe => 1,
            _ => total - JournalPoolSize(total) - 1,
        };
        builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
        return builder.ConnectionString;
    }

    /// <summary>The longest connect or statement timeout a silo accepts in its connection string, in seconds.</summary>
    public const int MaxTimeoutSeconds = 60;

    /// <summary>The smallest <c>Maximum Pool Size</c> a silo accepts: two for the providers, two for the journal, one for the probe.</summary>
    public const int MinimumPoolSize = 5;

    private enum Pool
    {
        Providers,
        Journal,
        JournalWriter,
        Probe,
    }

    private static bool Names(DbConnectionStringBuilder written, params string[] keywords) =>
        keywords.Any(written.ContainsKey);
}
