namespace ReliableMessaging.Client.Errors;

/// <summary>429 <c>rate-limited</c>: this caller sent more than its limit; nothing happened, retry after Retry-After.</summary>
public sealed record RateLimitedError(ProblemInfo Problem) : ApiError(Problem);
