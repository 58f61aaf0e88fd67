namespace ReliableMessaging.Client.Errors;

/// <summary>400 <c>idempotency-key-missing</c>: the request had no Idempotency-Key (a bug in the caller).</summary>
public sealed record IdempotencyKeyMissingError(ProblemInfo Problem) : ApiError(Problem);
