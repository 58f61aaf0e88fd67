using Orleans.TestingHost;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Api.Tests;

/// <summary>
/// PostgreSQL, a two-silo cluster, and two independent front-end instances on it: A with the
/// dashboard enabled, B without. Tests isolate themselves with fresh account IDs.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string DashboardPassword = "test-dashboard-secret";

    private PostgresServer? _postgres;
    private TestCluster? _cluster;

    public FrontEndFactory FrontEndA { get; private set; } = null!;

    public FrontEndFactory FrontEndB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _cluster = await AccountCluster.StartAsync(_postgres, $"api-{Guid.NewGuid():N}");
        FrontEndA = new FrontEndFactory(_postgres, _cluster, DashboardPassword);
        FrontEndB = new FrontEndFactory(_postgres, _cluster);
        FrontEndA.CreateClient().Dispose();
        FrontEndB.CreateClient().Dispose();
    }

    /// <summary>Another front end on the same cluster with extra settings (the caller disposes it).</summary>
    public FrontEndFactory CreateFrontEnd(IReadOnlyDictionary<string, string> settings) => new(_postgres!, _cluster!, settings: settings);

    public async Task DisposeAsync()
    {
        await FrontEndA.DisposeAsync();
        await FrontEndB.DisposeAsync();
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
