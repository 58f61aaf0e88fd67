using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Silo.Hosting;

/// <summary>Identity and endpoints of one silo, bound from the <c>Orleans</c> section of silo-config.</summary>
public sealed class SiloEndpointOptions : IValidatableObject
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

    /// <summary>The address other silos and clients are told to use (an IP address, not a host name). Loopback by default.</summary>
    [Required]
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface instead of the advertised address only (containers).</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>
    /// Lets a silo reachable beyond loopback run without cluster TLS (<c>Orleans:Tls</c>). Off: such a
    /// silo refuses to start, since anyone who reaches its gateway could call the account grains
    /// directly, past the front end's tokens. For a network that is private by other means only.
    /// </summary>
    public bool AllowUnencryptedNetwork { get; set; }

    /// <summary>Whether other machines can reach this silo: a non-loopback address, or every interface.</summary>
    public bool IsReachableBeyondLoopback =>
        ListenOnAnyHostAddress || !System.Net.IPAddress.TryParse(AdvertisedIPAddress, out var address) || !System.Net.IPAddress.IsLoopback(address);

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Orleans advertises an address, never a name: a host name would only fail later, at the bind.
        if (!System.Net.IPAddress.TryParse(AdvertisedIPAddress, out _))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(AdvertisedIPAddress)} must be an IP address (the one other silos and clients reach this silo at), not '{AdvertisedIPAddress}'.",
                [nameof(AdvertisedIPAddress)]);
        }

        if (SiloPort == GatewayPort)
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(SiloPort)} and {nameof(GatewayPort)} must differ (both are {SiloPort}): silos and clients connect to separate listeners.",
                [nameof(SiloPort), nameof(GatewayPort)]);
        }
    }
}
