using System.Reflection;
using ReliableMessaging.Api.Hosting;
using ReliableMessaging.Contracts.Hosting;
using ReliableMessaging.Grains.Accounts;
using ReliableMessaging.Silo.Hosting;

namespace ReliableMessaging.Deployment.Tests.Compose;

/// <summary>
/// The configuration keys a host binds, found in its code rather than listed by hand: every options
/// type declares <c>public const string SectionName</c>, and each of its settable properties is a
/// key under that section. A new options class or property is therefore checked without editing
/// this test.
/// </summary>
public static class ConfigurationKeys
{
    public const string ConnectionString = "ConnectionStrings:" + ClusterDatabase.ConnectionStringName;

    /// <summary>What the silo reads: its own options, the account rules, the database.</summary>
    public static IReadOnlyList<string> Silo { get; } =
    [
        .. OptionKeys(typeof(SiloEndpointOptions).Assembly),
        .. OptionKeys(typeof(AccountOptions).Assembly),
        .. TypeKeys(typeof(ClusterTlsOptions)),
        ConnectionString,
    ];

    /// <summary>What the front end reads: its options, the dashboard's, the database, and where to listen.</summary>
    public static IReadOnlyList<string> FrontEnd { get; } =
    [
        .. OptionKeys(typeof(FrontEndOptions).Assembly),
        .. TypeKeys(typeof(ClusterTlsOptions)),
        ConnectionString,
        "Urls",
    ];

    /// <summary>
    /// The silo's keys that must have a value. A setting whose type is nullable (<c>string?</c>,
    /// <c>TimeSpan?</c>) is optional: an alternative (e.g. <c>Auth:Authority</c> or a local key) or an override.
    /// </summary>
    public static IReadOnlyList<string> RequiredSilo { get; } =
    [
        .. OptionKeys(typeof(SiloEndpointOptions).Assembly, requiredOnly: true),
        .. OptionKeys(typeof(AccountOptions).Assembly, requiredOnly: true),
        .. TypeKeys(typeof(ClusterTlsOptions), requiredOnly: true),
        ConnectionString,
    ];

    /// <summary>The front end's keys that must have a value (see <see cref="RequiredSilo"/>).</summary>
    public static IReadOnlyList<string> RequiredFrontEnd { get; } =
    [
        .. OptionKeys(typeof(FrontEndOptions).Assembly, requiredOnly: true),
        .. TypeKeys(typeof(ClusterTlsOptions), requiredOnly: true),
        ConnectionString,
        "Urls",
    ];

    /// <summary>The sections our code owns, so that an unknown key under them is a typo.</summary>
    public static IReadOnlyList<string> SectionsOf(IEnumerable<string> keys) =>
        keys.Where(key => key.Contains(':', StringComparison.Ordinal)).Select(key => key[..key.LastIndexOf(':')]).Distinct().ToList();

    public static IEnumerable<string> OptionKeys(Assembly assembly, bool requiredOnly = false)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetTypes().SelectMany(type => TypeKeys(type, requiredOnly));
    }

    /// <summary>
    /// The keys of one options type (none when it declares no section). Shared option types in
    /// Contracts are added type by type: each host binds only the ones it uses.
    /// </summary>
    public static IEnumerable<string> TypeKeys(Type type, bool requiredOnly = false)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is not { IsLiteral: true } field
            || field.GetRawConstantValue() is not string section)
        {
            yield break;
        }

        var nullability = new NullabilityInfoContext();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true }
                && (!requiredOnly || nullability.Create(property).WriteState != NullabilityState.Nullable))
            {
                yield return $"{section}:{property.Name}";
            }
        }
    }

    /// <summary>Sanity anchors, so that a broken reflection scan cannot make every check vacuous.</summary>
    public static IReadOnlyList<string> KnownSiloKeys { get; } =
        ["Orleans:ClusterId", "Orleans:SiloPort", "Orleans:GatewayPort", "Orleans:AdvertisedIPAddress", "Accounts:OperationWindowSize", ConnectionString];

    public static IReadOnlyList<string> KnownFrontEndKeys { get; } =
        ["Orleans:ClusterId", "Orleans:ResponseTimeout", "Dashboard:Password", ConnectionString, "Urls"];

    /// <summary><c>Orleans:Membership</c> keys must be writable properties of Orleans' ClusterMembershipOptions.</summary>
    public static IReadOnlySet<string> MembershipProperties { get; } = typeof(Orleans.Configuration.ClusterMembershipOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(property => property.SetMethod is { IsPublic: true })
        .Select(property => property.Name)
        .ToHashSet();
}
