using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Orleans.TestingHost;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Testing;

/// <summary>
/// One instance of the real front end (the Program of the assembly holding <see cref="FrontEndOptions"/>), connected as an Orleans client to a test
/// cluster through the ADO.NET membership table, exactly as in production.
/// </summary>
public sealed class FrontEndFactory(PostgresServer postgres, TestCluster cluster, string? dashboardPassword = null) : WebApplicationFactory<FrontEndOptions>
{
    public const string DashboardUser = "operator";

    /// <summary>Serve on a real loopback port (for browsers) instead of the in-memory test server.</summary>
    public FrontEndFactory WithKestrel()
    {
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        StartServer();
        return this;
    }

    /// <summary>The base address when started <see cref="WithKestrel"/>.</summary>
    public Uri ServerAddress =>
        new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseEnvironment("Testing");
        builder.UseSetting($"ConnectionStrings:{ClusterDatabase.ConnectionStringName}", postgres.ConnectionString);
        builder.UseSetting("Orleans:ClusterId", cluster.Options.ClusterId);
        builder.UseSetting("Orleans:ServiceId", cluster.Options.ServiceId);
        builder.UseSetting("Dashboard:Username", DashboardUser);
        builder.UseSetting("Dashboard:Password", dashboardPassword ?? string.Empty);
    }
}
