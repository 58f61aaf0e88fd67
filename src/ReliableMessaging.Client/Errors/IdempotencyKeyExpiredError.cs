namespace ReliableMessaging.Client.Errors;

/// <summary>
/// <c>idempotency-key-expired</c>: 409 on a POST (the key is at or below the account's admission
/// floor, so it was not executed), 410 on a lookup (whether it ran can no longer be verified).
/// </summary>
public sealed record IdempotencyKeyExpiredError(ProblemInfo Problem) : ApiError(Problem);
