using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using ReliableMessaging.Deployment.Tests.Infrastructure;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Hosting;
using ReliableMessaging.Contracts.Hosting;

namespace ReliableMessaging.Deployment.Tests.Cluster;

/// <summary>The cluster profile (silo-config/appsettings.Cluster.json) and the membership settings it relies on.</summary>
public sealed class ClusterProfileTests
{
    [Fact]
    public void ClusterProfile_SameServiceIdAsTheDefault_FindsTheSameAccounts()
    {
        var single = SiloConfiguration(cluster: false);
        var cluster = SiloConfiguration(cluster: true);

        // Grain state rows are keyed by ServiceId: a cluster started on the same database must see
        // the accounts the single silo wrote.
        Assert.Equal(single["Orleans:ServiceId"], cluster["Orleans:ServiceId"]);
        Assert.Equal(single["Orleans:ClusterId"], cluster["Orleans:ClusterId"]);
        Assert.Equal(single["Accounts:OperationWindowSize"], cluster["Accounts:OperationWindowSize"]);
    }

    [Fact]
    public void SiloConfig_WindowSize_IsTheCodeDefault()
    {
        // A silo started without silo-config (tests, embedding) must keep the same window as one started with it.
        Assert.Equal(new AccountOptions().OperationWindowSize, SiloConfigFile.WindowSize);
    }

    [Fact]
    public void ClusterProfile_MembershipSection_KeepsDeadSiloRowsBounded()
    {
        var options = new ClusterMembershipOptions();
        SiloConfiguration(cluster: true).GetSection(SiloEndpointOptions.MembershipSectionName)
            .Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);

        Assert.NotNull(options.DefunctSiloCleanupPeriod);
        Assert.NotNull(options.MaxDefunctSiloEntries);
        Assert.True(options.DefunctSiloExpiration <= TimeSpan.FromHours(1), "dead rows of a local cluster go within the hour");
        Assert.True(options.MaxDefunctSiloEntries <= 25);

        // Orleans' advice: keep dead rows long enough for a silo still trying to join to see it was declared dead.
        Assert.True(options.DefunctSiloMinimumRetention > options.MaxJoinAttemptTime);
    }

    [Fact]
    public void ClusterProfile_FailureDetection_DeclaresASiloThatStopsAnsweringDeadWithinAboutTenSeconds()
    {
        var options = new ClusterMembershipOptions();
        SiloConfiguration(cluster: true).GetSection(SiloEndpointOptions.MembershipSectionName)
            .Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);

        // Votes against a silo that sent anything within MaxProbeTimeout x NumMissedProbesLimit are
        // suppressed: that window bounds how soon a stalled silo can be declared dead, and it is also
        // what keeps a live but slow silo (still sending) from being voted out.
        Assert.True(options.EnableConnectionLivenessCheck, "the liveness check guards busy silos against false deaths");
        Assert.True(options.MaxProbeTimeout * options.NumMissedProbesLimit <= TimeSpan.FromSeconds(10));
        Assert.InRange(options.ProbeTimeout, options.MinProbeTimeout, options.MaxProbeTimeout);
        // The indirect probe's intermediary brings the second of the two votes three silos need.
        Assert.True(options.EnableIndirectProbes);
        Assert.Equal(2, options.NumVotesForDeathDeclaration);
        // A woken silo reads the table soon, finds itself dead and stops.
        Assert.True(options.TableRefreshTimeout <= TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void FrontEnd_StopsUsingAStalledGatewaySoonAndGivesUpOnACallInSeconds()
    {
        var frontEnd = new ConfigurationBuilder().AddJsonFile(RepositoryPaths.Combine("src", "ReliableMessaging.Api", "appsettings.json")).Build();

        Assert.True(frontEnd.GetValue<TimeSpan>("Orleans:Gateway:GatewayListRefreshPeriod") <= TimeSpan.FromSeconds(5));
        Assert.True(frontEnd.GetValue<TimeSpan>("Orleans:ResponseTimeout") <= TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void UseSiloEndpoints_MembershipSection_BoundOntoClusterMembershipOptions()
    {
        using var host = BuildSiloHost(new Dictionary<string, string?>
        {
            ["Orleans:Membership:DefunctSiloExpiration"] = "00:07:00",
            ["Orleans:Membership:DefunctSiloCleanupPeriod"] = "00:01:00",
            ["Orleans:Membership:MaxDefunctSiloEntries"] = "4",
        });

        var options = host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(7), options.DefunctSiloExpiration);
        Assert.Equal(TimeSpan.FromMinutes(1), options.DefunctSiloCleanupPeriod);
        Assert.Equal(4, options.MaxDefunctSiloEntries);
    }

    [Fact]
    public void UseSiloEndpoints_MisspeltMembershipKey_FailsInsteadOfKeepingTheDefault()
    {
        using var host = BuildSiloHost(new Dictionary<string, string?>
        {
            ["Orleans:Membership:DefunctSiloExpiry"] = "00:07:00",
        });

        Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value);
    }

    [Fact]
    public void UseSiloEndpoints_ReachableBeyondLoopbackWithoutTls_RefusesToStart()
    {
        // Its gateway would take grain calls from anyone who reaches it, past the front end's tokens.
        var exposed = Assert.Throws<SettingsException>(() => BuildSiloHost(new Dictionary<string, string?>
        {
            ["Orleans:AdvertisedIPAddress"] = "10.0.0.5",
        }));
        var anyAddress = Assert.Throws<SettingsException>(() => BuildSiloHost(new Dictionary<string, string?>
        {
            ["Orleans:ListenOnAnyHostAddress"] = "true",
        }));

        Assert.Contains("Orleans:Tls:CertificatePath", exposed.Message, StringComparison.Ordinal);
        Assert.Contains("without cluster TLS", anyAddress.Message, StringComparison.Ordinal);
        using var loopback = BuildSiloHost([]);
        using var allowed = BuildSiloHost(new Dictionary<string, string?>
        {
            ["Orleans:AdvertisedIPAddress"] = "10.0.0.5",
            ["Orleans:AllowUnencryptedNetwork"] = "true",
        });
    }

    [Fact]
    public async Task SiloHost_Disposed_TheJournalRegisteredUnderTwoTypesStopsOnceWithoutError()
    {
        // The silo crashed at every shutdown (ObjectDisposedException): the container disposed the
        // journal once per registration.
        var host = BuildSiloHost([]);
        var journal = host.Services.GetRequiredService<ReliableMessaging.Grains.Journal.IOperationJournal>();
        Assert.Same(journal, host.Services.GetRequiredService<ReliableMessaging.Silo.Journal.PostgresOperationJournal>());

        await ((IAsyncDisposable)host).DisposeAsync();
    }

    private static IConfigurationRoot SiloConfiguration(bool cluster)
    {
        var builder = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryPaths.SiloConfig, "appsettings.json"));
        if (cluster)
        {
            builder.AddJsonFile(Path.Combine(RepositoryPaths.SiloConfig, "appsettings.Cluster.json"));
        }

        return builder.Build();
    }

    // Built, never started: enough to resolve the options the silo would run with.
    private static IHost BuildSiloHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonFile(Path.Combine(RepositoryPaths.SiloConfig, "appsettings.json"));
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.UseSiloEndpoints().AddReliableMessaging());
        return builder.Build();
    }
}
