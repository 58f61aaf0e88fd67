using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Api.Hosting;

/// <summary>Which cluster the front end calls (section <c>Orleans</c>); must match the silos' silo-config.</summary>
public sealed class FrontEndOptions
{
    public const string SectionName = "Orleans";

    [Required]
    public string ClusterId { get; set; } = "reliable-messaging";

    [Required]
    public string ServiceId { get; set; } = "reliable-messaging";

    /// <summary>
    /// How long one grain call may take before the HTTP caller gets 503 (and retries). Calls take
    /// milliseconds; one that waits this long went through a silo that stopped answering, and the
    /// caller is better off retrying (its retry goes elsewhere once the silo is declared dead).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to keep trying to reach the cluster at start-up before giving up.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
