using Orleans.TestingHost;

namespace ReliableMessaging.Testing;

/// <summary>
/// One PostgreSQL and one two-silo cluster shared by the tests of a collection.
/// Tests isolate themselves by using fresh account IDs.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private PostgresServer? _postgres;
    private TestCluster? _cluster;

    public PostgresServer Postgres => _postgres ?? throw new InvalidOperationException("Not started.");

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public string ServiceId { get; } = $"svc-{Guid.NewGuid():N}";

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _cluster = await AccountCluster.StartAsync(_postgres, ServiceId);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
