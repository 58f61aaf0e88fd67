using Orleans.TestingHost;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Testing;

/// <summary>Builds test clusters that run the production silo wiring against a real PostgreSQL.</summary>
public static class AccountCluster
{
    /// <summary>Window settings of test clusters: small, so eviction is reachable in a test.</summary>
    public const int WindowSize = 16;

    /// <summary>The journal's retention in test clusters: older IDs are refused as expired.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    /// <summary>Small, so a test can fill it while the journal is down.</summary>
    public const int MaxUnjournaledOperations = 32;

    /// <summary>Small, so a test can fill what waits behind one write; above what other tests send to one account at once.</summary>
    public const int MaxQueuedOperations = 64;

    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>Small, so a test can fill an account's transfer outbox.</summary>
    public const int MaxPendingTransfers = 4;

    /// <summary>Short, so delivery resumes quickly after a crash in a test.</summary>
    public static readonly TimeSpan TransferRetryPeriod = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A cluster of <paramref name="silos"/> silos with ADO.NET membership and storage on
    /// <paramref name="postgres"/>. Clusters that share a <paramref name="serviceId"/> share grain state.
    /// <paramref name="connectionString"/> replaces the server's superuser connection (e.g. another role);
    /// <paramref name="properties"/> adds silo settings; without <paramref name="startClient"/> the
    /// cluster's own client is not connected (for silos that refuse ordinary clients); without
    /// <paramref name="clusterId"/> the cluster gets an ID of its own. A cluster that fails to start is disposed.
    /// </summary>
    public static async Task<TestCluster> StartAsync(
        PostgresServer postgres, string serviceId, short silos = 2, string? connectionString = null,
        IReadOnlyDictionary<string, string>? properties = null, bool startClient = true, string? clusterId = null)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;

        // Real sockets, as in production: front ends connect to these silos from outside the cluster.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = clusterId ?? $"test-{Guid.NewGuid():N}";
        builder.Properties[$"ConnectionStrings:{ClusterDatabase.ConnectionStringName}"] = connectionString ?? postgres.ConnectionString;
        builder.Properties["Accounts:OperationWindowSize"] = WindowSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["Accounts:JournalRetention"] = Retention.ToString();
        builder.Properties["Accounts:MaxOperationAge"] = (Retention / 2).ToString();
        builder.Properties["Accounts:MaxUnjournaledOperations"] = MaxUnjournaledOperations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["Accounts:MaxQueuedOperations"] = MaxQueuedOperations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["Accounts:MaxClockSkew"] = MaxClockSkew.ToString();
        builder.Properties["Accounts:MaxPendingTransfers"] = MaxPendingTransfers.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["Accounts:TransferRetryPeriod"] = TransferRetryPeriod.ToString();
        foreach (var (key, value) in properties ?? new Dictionary<string, string>())
        {
            builder.Properties[key] = value;
        }

        builder.Options.InitializeClientOnDeploy = startClient;
        builder.AddSiloBuilderConfigurator<TestSiloConfigurator>();
        builder.AddClientBuilderConfigurator<TestClientConfigurator>();
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch (Exception)
        {
            // Whatever stopped the start, the silos and client that did start must not outlive it.
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }
}
