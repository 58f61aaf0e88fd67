using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Runtime.Placement;
using ReliableMessaging.Contracts.Health;
using ReliableMessaging.Silo.Health;
using ReliableMessaging.Silo.Hosting;
using ReliableMessaging.Testing;

namespace ReliableMessaging.Tests.Health;

/// <summary>
/// The probe of a silo's own database path, against the real server and against a path that hangs
/// (a listener that accepts and never answers, as a blackholed route does after the handshake), and
/// the report each silo of the test cluster gives of itself through <see cref="IDatabasePathGrain"/>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DatabasePathProbeTests(ClusterFixture fixture)
{
    private static readonly DatabasePathOptions Options = new()
    {
        ProbeInterval = TimeSpan.FromSeconds(1),
        ProbeTimeout = TimeSpan.FromSeconds(1),
        StepOutAfter = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task Probe_DatabaseReachable_Healthy()
    {
        await using var probe = Probe(fixture.Postgres.ConnectionString);

        await probe.ProbeAsync(CancellationToken.None);
        await probe.ProbeAsync(CancellationToken.None);

        var report = probe.Current();
        Assert.NotNull(report.HealthyFor);
        Assert.Null(report.FailingFor);
    }

    [Fact]
    public async Task Probe_PathHangs_FailsWithinItsTimeout()
    {
        using var hung = new TcpListener(IPAddress.Loopback, 0);
        hung.Start();
        using var stop = new CancellationTokenSource();
        var accepted = new List<TcpClient>();
        var accepting = AcceptForeverAsync(hung, accepted, stop.Token);
        var hungPath = new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Port = ((IPEndPoint)hung.LocalEndpoint).Port }.ConnectionString;
        await using var probe = Probe(hungPath);

        var elapsed = Stopwatch.StartNew();
        await probe.ProbeAsync(CancellationToken.None);
        elapsed.Stop();

        Assert.NotNull(probe.Current().FailingFor);
        Assert.Null(probe.Current().HealthyFor);
        // Bounded by the probe's timeout (1 s) and the monitor's own guard (1 s more), with room for a slow machine.
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(5), $"the probe of a hung path took {elapsed.Elapsed}");
        Assert.False(accepting.IsCompleted);
        await stop.CancelAsync();
        await accepting;
        Assert.NotEmpty(accepted);
        accepted.ForEach(client => client.Dispose());
    }

    [Fact]
    public async Task Probe_ServerAnswersWithAnError_ThePathWorks()
    {
        // Refused by the server (here: no such database) is an answer: this silo reaches it.
        var refused = new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Database = "no_such_database" }.ConnectionString;
        await using var probe = Probe(refused);

        await probe.ProbeAsync(CancellationToken.None);

        Assert.NotNull(probe.Current().HealthyFor);
        Assert.Null(probe.Current().FailingFor);
    }

    [Fact]
    public async Task EverySilo_AnswersForItselfOnTheFirstAsk_AnActivationNotOnTheNamedSiloGivesNoEvidence()
    {
        foreach (var silo in fixture.Cluster.GetActiveSilos())
        {
            // The placement hint puts the activation on the named silo at once: no second ask.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo.SiloAddress);
            var report = await fixture.Grains.GetGrain<IDatabasePathGrain>(DatabasePathGrainKey.Create(silo.SiloAddress)).GetReport();
            RequestContext.Clear();
            Assert.True(report.FromNamedSilo, $"the activation for {silo.SiloAddress} was placed elsewhere");
            Assert.Null(report.FailingFor);
        }

        // A silo that is not in the cluster (a departed one): whoever hosts the activation must not speak for it.
        var departed = SiloAddress.New(IPAddress.Loopback, 1, 1);
        var answer = await fixture.Grains.GetGrain<IDatabasePathGrain>(DatabasePathGrainKey.Create(departed)).GetReport();
        Assert.Equal(DatabasePathReport.NotOnThatSilo, answer);
    }

    [Fact]
    public void GrainKey_NamesItsSiloOnly_GenerationIncluded()
    {
        var silo = SiloAddress.New(IPAddress.Loopback, 11111, 7);
        var key = DatabasePathGrainKey.Create(silo);

        Assert.True(DatabasePathGrainKey.Names(key, silo));
        Assert.False(DatabasePathGrainKey.Names(key, SiloAddress.New(IPAddress.Loopback, 11111, 8)));
        Assert.False(DatabasePathGrainKey.Names(key, SiloAddress.New(IPAddress.Loopback, 11112, 7)));
        Assert.NotEqual(key, DatabasePathGrainKey.Create(silo));
    }

    // Accepts and never answers: the connection's startup message meets silence, as on a blackholed route.
    private static async Task AcceptForeverAsync(TcpListener listener, List<TcpClient> accepted, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                accepted.Add(await listener.AcceptTcpClientAsync(stop));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The test is over.
        }
    }

    private static DatabasePathProbe Probe(string connectionString) => new(
        NpgsqlDataSource.Create(ProviderConnectionString.ForProbe(connectionString, Options.ProbeTimeout)),
        Microsoft.Extensions.Options.Options.Create(Options),
        TimeProvider.System,
        NullLogger<DatabasePathProbe>.Instance);
}
