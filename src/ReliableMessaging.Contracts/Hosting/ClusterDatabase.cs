namespace ReliableMessaging.Contracts.Hosting;

/// <summary>
/// How silos and clients name the PostgreSQL database that holds membership and grain state.
/// Shared so the silo, the front end and tools read the same configuration key.
/// </summary>
public static class ClusterDatabase
{
    /// <summary>The connection string name: <c>ConnectionStrings:ReliableMessaging</c>.</summary>
    public const string ConnectionStringName = "ReliableMessaging";

    /// <summary>The ADO.NET invariant name of Npgsql.</summary>
    public const string Invariant = "Npgsql";
}
