using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Per-caller rate limit (section <c>RateLimit</c>): a token bucket per identity that refills
/// <see cref="PermitsPerSecond"/> and holds at most <see cref="Burst"/>. Answers that are replays of
/// recorded operations are not charged (see <see cref="RateLimitFilter"/>).
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimit";

    /// <summary>Sustained requests per second per caller; 0 turns the limit off.</summary>
    [Range(0, int.MaxValue)]
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>How many requests a caller may send at once after being idle.</summary>
    [Range(1, int.MaxValue)]
    public int Burst { get; set; } = 2000;
}
