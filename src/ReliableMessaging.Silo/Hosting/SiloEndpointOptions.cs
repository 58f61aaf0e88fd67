using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>Identity and endpoints of one silo, bound from the <c>Orleans</c> section of silo-config.</summary>
public sealed class SiloEndpointOptions
{
    public const string SectionName = "Orleans";

    /// <summary>
    /// Membership tuning, bound onto Orleans' <c>ClusterMembershipOptions</c> (e.g. <c>DefunctSiloExpiration</c>,
    /// <c>DefunctSiloCleanupPeriod</c>, <c>MaxDefunctSiloEntries</c>, <c>ProbeTimeout</c>).
    /// </summary>
    public const string MembershipSectionName = SectionName + ":Membership";

    /// <summary>Silos and clients with the same ClusterId form one cluster.</summary>
    [Required]
    public string ClusterId { get; set; } = "reliable-messaging";

    /// <summary>Grain state rows are keyed by ServiceId: keep it stable across deployments.</summary>
    [Required]
    public string ServiceId { get; set; } = "reliable-messaging";

    /// <summary>The address other silos and clients are told to use. Loopback by default.</summary>
    [Required]
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface instead of the advertised address only (containers).</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;
}
