using System.ComponentModel.DataAnnotations;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Per-caller rate limit (section <c>RateLimit</c>): a token bucket per identity that refills
/// <see cref="PermitsPerSecond"/> and holds at most <see cref="Burst"/>. Answers that are replays of
/// recorded operations are not charged to it but to a bucket of their own
/// (<see cref="ReplaysPerSecond"/>, <see cref="ReplayBurst"/>; see <see cref="RateLimitMiddleware"/>).
/// </summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string SectionName = "RateLimit";

    /// <summary>Sustained requests per second per caller; 0 turns the limit off.</summary>
    [Range(0, int.MaxValue)]
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>How many requests a caller may send at once after being idle.</summary>
    [Range(1, int.MaxValue)]
    public int Burst { get; set; } = 2000;

    /// <summary>
    /// Sustained replays per second per caller (answers with <c>Idempotent-Replayed: true</c>), in a
    /// bucket apart from <see cref="PermitsPerSecond"/>'s: retries never spend the caller's budget for
    /// new requests, yet a replay can cost a journal read, so they are not free without end either.
    /// 0 leaves replays unlimited (as does <see cref="PermitsPerSecond"/> 0, which turns every limit off).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ReplaysPerSecond { get; set; } = 1000;

    /// <summary>How many replays a caller may send at once after being idle.</summary>
    [Range(1, int.MaxValue)]
    public int ReplayBurst { get; set; } = 2000;

    /// <summary>A bucket smaller than its rate caps the rate at the bucket's size per second, silently.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Burst < PermitsPerSecond)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(Burst)} ({Burst}) must be at least {nameof(PermitsPerSecond)} ({PermitsPerSecond}).", [nameof(Burst)]);
        }

        if (ReplayBurst < ReplaysPerSecond)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(ReplayBurst)} ({ReplayBurst}) must be at least {nameof(ReplaysPerSecond)} ({ReplaysPerSecond}).", [nameof(ReplayBurst)]);
        }
    }
}
