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

    /// <summary>The cluster's own client: what operators and tools call the accounts through, beside the front ends.</summary>
    public IGrainFactory Grains => _cluster?.Client ?? throw new InvalidOperationException("Not started.");

    public FrontEndFactory FrontEndA { get; private set; } = null!;

    public FrontEndFactory FrontEndB { get; private set; } = null!;

    /// <summary>
    /// A third front end with a tiny per-caller budget (3 requests, 1 more per second; replays 20, 1
    /// more per second) for the rate limit tests. Kept for the whole fixture: disposing a host mid-run would also end the metric
    /// streams the other front ends export under the same instrument names.
    /// </summary>
    public FrontEndFactory FrontEndLimited { get; private set; } = null!;

    public const int LimitedBurst = 3;

    public const int LimitedReplayBurst = 20;

    /// <summary>
    /// The front end on a real server (Kestrel on a loopback port), for what the in-memory test
    /// server does not do itself: enforce an endpoint's request size limit while the body is read.
    /// Kept for the whole fixture, like the others.
    /// </summary>
    public FrontEndFactory FrontEndKestrel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _cluster = await AccountCluster.StartAsync(_postgres, $"api-{Guid.NewGuid():N}");
        // Traced as with a collector (OpenTelemetry's ASP.NET Core instrumentation on; nothing listens on
        // the discard port, and the exporter's failed sends are invisible to the tests).
        FrontEndA = new FrontEndFactory(_postgres, _cluster, DashboardPassword, new Dictionary<string, string>
        {
            ["Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9",
        });
        FrontEndB = new FrontEndFactory(_postgres, _cluster);
        FrontEndLimited = new FrontEndFactory(_postgres, _cluster, settings: new Dictionary<string, string>
        {
            ["RateLimit:PermitsPerSecond"] = "1",
            ["RateLimit:Burst"] = LimitedBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimit:ReplaysPerSecond"] = "1",
            ["RateLimit:ReplayBurst"] = LimitedReplayBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        FrontEndKestrel = new FrontEndFactory(_postgres, _cluster).WithKestrel();
        FrontEndA.CreateClient().Dispose();
        FrontEndB.CreateClient().Dispose();
        FrontEndLimited.CreateClient().Dispose();
    }

    public async Task DisposeAsync()
    {
        await FrontEndA.DisposeAsync();
        await FrontEndB.DisposeAsync();
        await FrontEndLimited.DisposeAsync();
        await FrontEndKestrel.DisposeAsync();
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
