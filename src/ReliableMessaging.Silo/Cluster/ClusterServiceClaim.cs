using Npgsql;

namespace ReliableMessaging.Silo.Cluster;

/// <summary>
/// The service a cluster belongs to (table <c>rm_cluster_service</c>, silo-config/sql/15-cluster-service.sql):
/// the first silo of a cluster claims it for its own service, and every later one reads whose it is.
/// </summary>
public static class ClusterServiceClaim
{
    // The insert claims an unclaimed cluster; when the cluster was claimed already, the second part
    // reads the claim. A claim committed by another silo while this statement ran is not in this
    // statement's snapshot (the insert waited for it, then did nothing): no row, and the next attempt sees it.
    private const string Sql = """
        WITH claimed AS (
            INSERT INTO rm_cluster_service (cluster_id, service_id) VALUES ($1, $2)
            ON CONFLICT (cluster_id) DO NOTHING
            RETURNING service_id)
        SELECT service_id FROM claimed
        UNION ALL
        SELECT service_id FROM rm_cluster_service WHERE cluster_id = $1
        LIMIT 1
        """;

    /// <summary>Claims <paramref name="clusterId"/> for <paramref name="serviceId"/> unless it is claimed; returns the service that holds it.</summary>
    public static async Task<string> ClaimAsync(NpgsqlDataSource dataSource, string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        for (var attempt = 1; ; attempt++)
        {
            // Read committed whatever the database's default: under a stricter level a concurrent claim
            // fails the insert with a serialization error instead of leaving the row to be read next time.
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
            await using var command = new NpgsqlCommand(Sql, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
            var owner = await command.ExecuteScalarAsync(cancellationToken) as string;
            await transaction.CommitAsync(cancellationToken);
            if (owner is not null)
            {
                return owner;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"The claim of cluster '{clusterId}' was neither made nor found in {attempt} attempts.");
            }
        }
    }
}
