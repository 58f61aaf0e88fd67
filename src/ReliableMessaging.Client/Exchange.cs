using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>
/// The end of one call's attempts: a final answer, or none (with the last failure).
/// <paramref name="EarlierAttemptMayHaveRun"/>: an attempt before the answer timed out, lost its
/// connection or got a 5xx or 408, so it may have run the request.
/// </summary>
internal sealed record Exchange(bool Answered, int StatusCode, string Body, bool Replayed, int Attempts, ApiError? LastError, string LastFailure, bool EarlierAttemptMayHaveRun = false)
{
    /// <summary>The final answer's Retry-After, when it had one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>This exchange as if no attempt had been answered, <paramref name="error"/> its last failure.</summary>
    public Exchange AsUnanswered(ApiError? error, string failure) => this with { Answered = false, LastError = error, LastFailure = failure };
}
