namespace ReliableMessaging.Benchmarks.Harness;

/// <summary>pgbench's <c>-M</c> query mode.</summary>
public enum PgBenchProtocol
{
    /// <summary>pgbench's default: every statement sent as text, parsed and planned each time.</summary>
    Simple,

    /// <summary>Parsed and planned once per connection, as the silo's Npgsql connections auto-prepare.</summary>
    Prepared,
}
