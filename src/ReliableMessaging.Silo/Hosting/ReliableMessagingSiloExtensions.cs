using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Grains.Health;
using ReliableMessaging.Grains.Journal;
using ReliableMessaging.Silo.Faults;
using ReliableMessaging.Silo.Cluster;
using ReliableMessaging.Silo.Health;
using ReliableMessaging.Silo.Journal;
using ReliableMessaging.Grains.Telemetry;
using ReliableMessaging.Silo.Storage;
using Npgsql;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>Wires a silo from configuration (silo-config/appsettings.json plus environment overrides).</summary>
public static class ReliableMessagingSiloExtensions
{
    /// <summary>The ADO.NET grain storage behind <see cref="AccountStorage.ProviderName"/>.</summary>
    public const string AdoNetStorageName = "accounts-adonet";

    /// <summary>
    /// Cluster identity and endpoints from the <c>Orleans</c> section, and membership tuning from
    /// <c>Orleans:Membership</c> (<see cref="ClusterMembershipOptions"/> property names).
    /// </summary>
    public static ISiloBuilder UseSiloEndpoints(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var endpoints = silo.Configuration.ReadAtBuildTime<SiloEndpointOptions>(SiloEndpointOptions.SectionName, sectionHoldsOtherSettings: true);
        System.ComponentModel.DataAnnotations.Validator.ValidateObject(endpoints, new(endpoints), validateAllProperties: true);
        if (endpoints.IsReachableBeyondLoopback && !endpoints.AllowUnencryptedNetwork
            && !silo.Configuration.ReadAtBuildTime<ClusterTlsOptions>(ClusterTlsOptions.SectionName).IsEnabled)
        {
            throw new SettingsException(
                $"The silo would be reachable beyond loopback ({endpoints.AdvertisedIPAddress}, listening on any address: {endpoints.ListenOnAnyHostAddress}) "
                + $"without cluster TLS: anyone reaching its gateway could call the accounts directly. Set {ClusterTlsOptions.SectionName}:CertificatePath "
                + $"(scripts/dev-cert.sh makes one), or {SiloEndpointOptions.SectionName}:{nameof(SiloEndpointOptions.AllowUnencryptedNetwork)}=true on a network private by other means.");
        }

        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = endpoints.ClusterId;
            options.ServiceId = endpoints.ServiceId;
        });
        silo.ConfigureEndpoints(
            IPAddress.Parse(endpoints.AdvertisedIPAddress),
            endpoints.SiloPort,
            endpoints.GatewayPort,
            endpoints.ListenOnAnyHostAddress);

        // Deployments tune failure detection and how long dead silos' rows stay in the membership table.
        // The binder ignores unknown keys by default, so a misspelt setting would silently keep the
        // default: fail the start instead.
        silo.Services.AddOptions<ClusterMembershipOptions>()
            .Bind(silo.Configuration.GetSection(SiloEndpointOptions.MembershipSectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        return silo;
    }

    /// <summary>
    /// Accounts, their grain storage and cluster membership, both in PostgreSQL through the Orleans
    /// ADO.NET providers. Endpoints and cluster identity are set separately (test clusters set their own).
    /// </summary>
    public static ISiloBuilder AddReliableMessaging(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var configured = silo.Configuration.GetConnectionString(ClusterDatabase.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(configured))
        {
            throw new SettingsException(
                $"ConnectionStrings:{ClusterDatabase.ConnectionStringName} is not set (silo-config/appsettings.json or the environment variable ConnectionStrings__{ClusterDatabase.ConnectionStringName}).");
        }

        var connectionString = ProviderConnectionString.For(configured);

        // A hung database path must not starve the silo of threads (see ThreadPoolFloor).
        ThreadPoolFloor.RaiseFor(ProviderConnectionString.TotalPoolSize(configured));

        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = ClusterDatabase.Invariant;
            options.ConnectionString = connectionString;
        });
        // The ADO.NET provider under an inner name; accounts see it through the translator below.
        silo.AddAdoNetGrainStorage(AdoNetStorageName, options => options.Configure<Serializer>((storage, serializer) =>
        {
            storage.Invariant = ClusterDatabase.Invariant;
            storage.ConnectionString = connectionString;

            // A compact, version-tolerant binary form: the whole state is rewritten on every write.
            storage.GrainStorageSerializer = new OrleansBinaryGrainStorageSerializer(serializer);
        }));

        // Reminders resume transfer delivery after crashes; their table lives beside the state.
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = ClusterDatabase.Invariant;
            options.ConnectionString = connectionString;
        });
        silo.Services.AddOptions<ReminderOptions>().Configure<IOptions<AccountOptions>>((reminders, accounts) =>
            ReminderServiceSettings.Apply(reminders, accounts.Value));

        // One trace from the front end's request through the grain calls; every money operation counted.
        if (silo.Configuration.ReadAtBuildTime<TelemetryOptions>(TelemetryOptions.SectionName).Enabled)
        {
            silo.AddActivityPropagation();
            silo.AddIncomingGrainCallFilter<AccountCallTelemetryFilter>();
        }

        // TLS between silos and with clients when the deployment configures a certificate (Orleans:Tls).
        silo.UseClusterTls();

        // Silos feed the Orleans Dashboard that the front end serves; traces stay hidden (they can carry data).
        silo.AddDashboard(options => options.HideTrace = true);

        // Tests and chaos runs only (Faults:ClockOffset): a silo whose clock is off; nothing without the setting.
        silo.AddFaultInjection();

        var services = silo.Services;

        // A cluster belongs to one service: a silo of another is refused before it joins (its rows of
        // the same accounts would be another copy of them).
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ClusterServiceGuard>();
        services.AddKeyedSingleton<IGrainStorage>(
            AccountStorage.ProviderName,
            (sp, _) => new StorageErrorTranslatingGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(AdoNetStorageName)));

        // The reminder table the same way: its database failures reach grains as retryable storage errors.
        var reminderTable = services.Last(d => d.ServiceType == typeof(IReminderTable));
        services.Remove(reminderTable);
        services.AddSingleton<IReminderTable>(sp => new StorageErrorTranslatingReminderTable(
            reminderTable.ImplementationFactory is { } factory ? (IReminderTable)factory(sp)
            : reminderTable.ImplementationInstance is IReminderTable instance ? instance
            : (IReminderTable)ActivatorUtilities.CreateInstance(sp, reminderTable.ImplementationType!)));

        BindValidated<AccountOptions>(services, AccountOptions.SectionName, options => options.Validate());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AccountRules(sp.GetRequiredService<IOptions<AccountOptions>>().Value));

        // The journal tier: every committed record, appended in batches across the silo's accounts.
        services.AddSingleton(_ => NpgsqlDataSource.Create(ProviderConnectionString.ForJournal(configured)));
        services.AddSingleton(_ => new JournalWriterDataSource(NpgsqlDataSource.Create(ProviderConnectionString.ForJournalWriter(configured))));
        services.AddSingleton(sp => new JournalServiceId(sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        services.AddSingleton<PostgresOperationJournal>();
        services.AddSingleton<IOperationJournal>(sp => sp.GetRequiredService<PostgresOperationJournal>());
        services.AddSingleton<JournalPruner>();
        services.AddHostedService(sp => sp.GetRequiredService<JournalPruner>());

        // A silo whose own way to the database hangs while its peers' works steps out of the cluster.
        BindValidated<DatabasePathOptions>(services, DatabasePathOptions.SectionName, options => options.Validate());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DatabasePathProbe>(sp, NpgsqlDataSource.Create(
            ProviderConnectionString.ForProbe(configured, sp.GetRequiredService<IOptions<DatabasePathOptions>>().Value.ProbeTimeout))));
        services.AddSingleton<IDatabasePathStatus>(sp => sp.GetRequiredService<DatabasePathProbe>());
        services.AddHostedService<DatabasePathMonitor>();
        return silo;
    }

    // Bound from its section and checked at start: validate throws with the setting that is wrong, and
    // a key the section does not have (a misspelt Accounts:JournalRetenton would keep everything) too.
    internal static void BindValidated<TOptions>(IServiceCollection services, string section, Action<TOptions> validate)
        where TOptions : class =>
        services.AddOptions<TOptions>()
            .BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = true)
            .Validate(options =>
            {
                validate(options);
                return true;
            })
            .ValidateOnStart();
}
