using Orleans.TestingHost;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Testing;

/// <summary>The test client finds gateways through the ADO.NET membership table, as the front end does.</summary>
public sealed class TestClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
        clientBuilder.UseAdoNetClustering(options =>
        {
            options.Invariant = ClusterDatabase.Invariant;
            options.ConnectionString = configuration.GetConnectionString(ClusterDatabase.ConnectionStringName);
        });
}
