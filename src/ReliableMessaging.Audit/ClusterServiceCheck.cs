using Npgsql;

namespace ReliableMessaging.Audit;

/// <summary>
/// Which service the cluster belongs to (<c>rm_cluster_service</c>, claimed by its first silo). The
/// audit asks the cluster's accounts and reads the journal rows of its own ServiceId: with another
/// ServiceId than the cluster's, it would compare one service's accounts with another's history.
/// </summary>
public static class ClusterServiceCheck
{
    /// <summary>The service that claimed <paramref name="clusterId"/>; null when none has (or the schema predates claims).</summary>
    public static async Task<string?> FindOwnerAsync(NpgsqlDataSource dataSource, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand("SELECT service_id FROM rm_cluster_service WHERE cluster_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        try
        {
            return await command.ExecuteScalarAsync() as string;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Silos of a version before claims: nothing to compare with.
            return null;
        }
    }
}
