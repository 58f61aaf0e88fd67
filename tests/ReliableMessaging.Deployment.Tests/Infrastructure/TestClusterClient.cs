using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Deployment.Tests.Infrastructure;

/// <summary>An Orleans client of a <see cref="ProcessCluster"/>: through every gateway the membership table lists, or through one silo's only.</summary>
public sealed class TestClusterClient : IAsyncDisposable
{
    private readonly IHost _host;

    private TestClusterClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Any gateway of the cluster, found in its membership table.</summary>
    public static Task<TestClusterClient> ConnectAsync(ProcessCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return StartAsync(cluster, client => client.UseAdoNetClustering(options =>
        {
            options.Invariant = ClusterDatabase.Invariant;
            options.ConnectionString = cluster.ConnectionString;
        }), TimeSpan.FromSeconds(30));
    }

    /// <summary>Silo <paramref name="silo"/>'s gateway only: calls reach that process or nothing.</summary>
    public static Task<TestClusterClient> ConnectToSiloAsync(ProcessCluster cluster, int silo, TimeSpan responseTimeout)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return StartAsync(cluster, client => client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, cluster.GatewayBasePort + silo - 1)), responseTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Its gateway is gone: nothing left to close gracefully.
        }

        _host.Dispose();
    }

    private static async Task<TestClusterClient> StartAsync(ProcessCluster cluster, Action<IClientBuilder> clustering, TimeSpan responseTimeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            clustering(client);
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = "reliable-messaging";
                options.ServiceId = "reliable-messaging";
            });
            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = responseTimeout);
            // The cluster's mutual TLS, with the certificate cluster.sh made for it.
            client.UseClusterTls(new ClusterTlsOptions { CertificatePath = cluster.TlsCertificatePath });
        });
        var host = builder.Build();
        await host.StartAsync();
        return new TestClusterClient(host);
    }
}
