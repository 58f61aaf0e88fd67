namespace ReliableMessaging.Client.Errors;

/// <summary>400 <c>idempotency-key-malformed</c>: the key is not one UUIDv7, or its timestamp is beyond the allowed clock skew (check the clock).</summary>
public sealed record IdempotencyKeyMalformedError(ProblemInfo Problem) : ApiError(Problem);
