using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Journal;
using ReliableMessaging.Silo.Health;
using ReliableMessaging.Silo.Hosting;

namespace ReliableMessaging.Testing;

/// <summary>
/// The production silo wiring (<see cref="ReliableMessagingSiloExtensions.AddReliableMessaging"/>), with the
/// account storage wrapped by <see cref="FaultInjectingGrainStorage"/>, the journal by <see cref="FaultInjectingJournal"/>,
/// and account calls reported to <see cref="AccountCalls"/>.
/// </summary>
public sealed class TestSiloConfigurator : ISiloConfigurator
{
    /// <summary>A cluster property that shortens the silos' response timeout (a TimeSpan), for tests that wait it out.</summary>
    public const string ResponseTimeoutKey = "Testing:ResponseTimeout";

    /// <summary>
    /// A cluster property (any value) that keeps Orleans' own failure detection (5 s probes, 3 missed)
    /// instead of the crash tests' 1 s and 2: for a cluster whose probes are slower by design (TLS
    /// handshakes on a loaded machine), where a joining silo must not be voted dead while it starts
    /// (with the cluster profile's 2 s probes it still was, once, while the deployment tests started).
    /// </summary>
    public const string OrleansFailureDetectionKey = "Testing:OrleansFailureDetection";

    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder.AddReliableMessaging();

        // Silos in one test process: one stepping out (Environment.FailFast) would end every test.
        // They still probe and answer their peers; HungDatabasePathTests steps out with real processes.
        siloBuilder.Services.Configure<DatabasePathOptions>(options => options.StepOutAfter = null);
        if (siloBuilder.Configuration[ResponseTimeoutKey] is { } responseTimeout)
        {
            siloBuilder.Configure<SiloMessagingOptions>(options =>
                options.ResponseTimeout = TimeSpan.Parse(responseTimeout, System.Globalization.CultureInfo.InvariantCulture));
        }

        // Declare a killed silo dead within seconds, so crash tests do not wait out production timeouts.
        if (siloBuilder.Configuration[OrleansFailureDetectionKey] is null)
        {
            siloBuilder.Configure<ClusterMembershipOptions>(options =>
            {
                options.ProbeTimeout = TimeSpan.FromSeconds(1);
                options.NumMissedProbesLimit = 2;
                options.NumVotesForDeathDeclaration = 1;
                options.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        }

        // Registered after the production filters, so it is the innermost: see AccountCalls.
        siloBuilder.AddIncomingGrainCallFilter<AccountCallSignalingFilter>();

        var services = siloBuilder.Services;
        var original = services.Single(d =>
            d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, AccountStorage.ProviderName));
        var factory = original.KeyedImplementationFactory!;
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(
            AccountStorage.ProviderName,
            (sp, key) => new FaultInjectingGrainStorage((IGrainStorage)factory(sp, key)));

        var journal = services.Single(d => d.ServiceType == typeof(IOperationJournal));
        services.Remove(journal);
        services.AddSingleton<IOperationJournal>(sp => new FaultInjectingJournal((IOperationJournal)journal.ImplementationFactory!(sp)));
    }
}
