namespace ReliableMessaging.Client;

/// <summary>How one HTTP attempt ended.</summary>
public enum AttemptResult
{
    /// <summary>A final answer (success or a non-transient error).</summary>
    Answered,

    /// <summary>No answer within <see cref="ReliableMessagingClientOptions.AttemptTimeout"/>.</summary>
    Timeout,

    /// <summary>The connection failed or broke before an answer.</summary>
    ConnectionFailed,

    /// <summary>Not sent: the circuit breaker is open after too many failures.</summary>
    CircuitOpen,

    /// <summary>408, 502, 503 or 504 (503 storage-unavailable or cluster-unavailable, a proxy's 502/504): retried.</summary>
    Unavailable,

    /// <summary>429 (too many pending transfers, or a rate limit): retried after Retry-After.</summary>
    TooManyRequests,

    /// <summary>
    /// 500 or another 5xx that is not an unavailability: an error inside the service (a bug to look into).
    /// Not retried (a bug answers every retry alike); the work may have committed before it, so the call
    /// ends unanswered and its outcome is looked up.
    /// </summary>
    ServerError,

    /// <summary>
    /// Not sent: <see cref="ReliableMessagingClientOptions.AccessTokenProvider"/> threw. Not retried (the
    /// provider's failure is its own to fix); the call ends unanswered, keeping its key.
    /// </summary>
    AccessTokenFailed,

    /// <summary>
    /// 401 to a token the service no longer accepts: nothing ran. Sent again at once, once per call, with the
    /// provider's next token (after <see cref="ReliableMessagingClientOptions.AccessTokenRefused"/>).
    /// </summary>
    TokenRefused,
}
