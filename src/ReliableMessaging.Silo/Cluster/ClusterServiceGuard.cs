using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Silo.Cluster;

/// <summary>
/// Refuses to start a silo whose ClusterId belongs to another service (<see cref="ClusterServiceClaim"/>),
/// before it joins the cluster: it would read and write its own service's rows of the cluster's
/// accounts, and an operation already executed in the other service's rows could execute again.
/// </summary>
internal sealed partial class ClusterServiceGuard(
    NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster, ILogger<ClusterServiceGuard> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle observer)
    {
        ArgumentNullException.ThrowIfNull(observer);

        // Before membership (RuntimeGrainServices) writes this silo's row into the cluster.
        observer.Subscribe(nameof(ClusterServiceGuard), ServiceLifecycleStage.RuntimeInitialize, CheckAsync);
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var (clusterId, serviceId) = (cluster.Value.ClusterId, cluster.Value.ServiceId);
        string owner;
        try
        {
            owner = await ClusterServiceClaim.ClaimAsync(dataSource, clusterId, serviceId, cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new SettingsException(
                "The database has no table rm_cluster_service: its schema is older than this silo. Apply silo-config/sql/*.sql to it, in name order (docs/deployment.md), then start again.",
                exception);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new SettingsException(
                $"The silo's database role may not claim the cluster (rm_cluster_service: {exception.MessageText}). Apply silo-config/sql/50-roles.sql after 15-cluster-service.sql, then start again.",
                exception);
        }

        if (!string.Equals(owner, serviceId, StringComparison.Ordinal))
        {
            throw new SettingsException(
                $"Orleans:ClusterId '{clusterId}' belongs to Orleans:ServiceId '{owner}', and this silo has '{serviceId}': it would join that cluster and keep its own copy of the same accounts. "
                + "Start it with that ServiceId, or with a ClusterId of its own.");
        }

        LogClaimed(logger, clusterId, serviceId);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Cluster {ClusterId} belongs to service {ServiceId}, this silo's")]
    private static partial void LogClaimed(ILogger logger, string clusterId, string serviceId);
}
