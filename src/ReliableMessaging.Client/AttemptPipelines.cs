namespace ReliableMessaging.Client;

/// <summary>
/// Which resilience pipeline an attempt goes through. An operation's first attempt is a fresh sample
/// of the service's health, and only first attempts pass the circuit breaker; its retries and the
/// look-up that settles it sample the same account again. A silo that stalls fails its own accounts,
/// and their calls are retried over and over: counted by the breaker, those retries alone would open
/// it and refuse the accounts that work; a breaker of their own would refuse every account's retries
/// (a healthy account's after one lost answer too) for as long as one silo stalls. Follow-ups are
/// bounded instead by the call's attempts, its backoff and the service's Retry-After.
/// </summary>
internal static class AttemptPipelines
{
    public const string FirstAttempts = "first-attempts";

    public const string FollowUps = "follow-ups";

    /// <summary>Set on a request that retries or settles an earlier attempt that went out.</summary>
    public static readonly HttpRequestOptionsKey<bool> FollowUp = new("ReliableMessaging.FollowUp");

    /// <summary>The pipeline instance a request goes through.</summary>
    public static string Select(HttpRequestMessage request) =>
        request.Options.TryGetValue(FollowUp, out var followUp) && followUp ? FollowUps : FirstAttempts;
}
