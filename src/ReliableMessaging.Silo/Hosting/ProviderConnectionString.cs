using System.Data.Common;
using Npgsql;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>
/// The connection string the silo's Orleans ADO.NET providers use: the configured one, with two
/// Npgsql defaults changed because every grain-state write opens and returns a pooled connection.
/// A setting the configured string names explicitly is kept as given.
/// </summary>
public static class ProviderConnectionString
{
    /// <summary>Statements kept prepared per connection: the providers use about 20 distinct queries.</summary>
    public const int MaxAutoPrepare = 32;

    public static string For(string configured)
    {
        // NpgsqlConnectionStringBuilder knows every keyword, so ask a plain builder what was written.
        var written = new DbConnectionStringBuilder { ConnectionString = configured };
        var builder = new NpgsqlConnectionStringBuilder(configured);

        // By default Npgsql resets a returned connection with DISCARD ALL, which also drops the
        // cached plans of orleans_storage_write: every write then re-plans it. The providers keep no
        // session state (no SET, temporary tables, advisory locks or LISTEN), and an open
        // transaction is rolled back on return whatever this says.
        if (!written.ContainsKey("No Reset On Close") && !written.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        // Prepared once per connection instead of parsed and planned on every call.
        if (!written.ContainsKey("Max Auto Prepare") && !written.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        return builder.ConnectionString;
    }
}
