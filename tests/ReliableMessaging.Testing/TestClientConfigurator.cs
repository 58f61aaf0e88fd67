using Orleans.Configuration;
using Orleans.TestingHost;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Testing;

/// <summary>The test client finds gateways through the ADO.NET membership table, as the front end does.</summary>
public sealed class TestClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
    {
        clientBuilder.UseAdoNetClustering(options =>
        {
            options.Invariant = ClusterDatabase.Invariant;
            options.ConnectionString = configuration.GetConnectionString(ClusterDatabase.ConnectionStringName);
        });

        // A call to a killed silo fails fast enough for a test to retry, as a real client would.
        clientBuilder.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(10));
    }
}
