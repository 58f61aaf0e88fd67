namespace ReliableMessaging.Client;

/// <summary>
/// Which resilience pipeline, and so which circuit breaker, an attempt goes through. An operation's
/// first attempt is a fresh sample of the service's health; its retries and the look-up that settles
/// it sample the same account again. A silo that stalls fails its own accounts, and their calls are
/// retried over and over: counted with the first attempts, those retries alone would open the breaker
/// and refuse the accounts that work. So follow-ups have a breaker of their own, which spares the
/// service a storm of retries, and first attempts open theirs only when many operations fail.
/// </summary>
internal static class AttemptPipelines
{
    public const string FirstAttempts = "first-attempts";

    public const string FollowUps = "follow-ups";

    /// <summary>Set on a request that retries or settles an earlier attempt.</summary>
    public static readonly HttpRequestOptionsKey<bool> FollowUp = new("ReliableMessaging.FollowUp");

    /// <summary>The pipeline instance a request goes through.</summary>
    public static string Select(HttpRequestMessage request) =>
        request.Options.TryGetValue(FollowUp, out var followUp) && followUp ? FollowUps : FirstAttempts;
}
