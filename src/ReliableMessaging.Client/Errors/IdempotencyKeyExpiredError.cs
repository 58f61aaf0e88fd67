namespace ReliableMessaging.Client.Errors;

/// <summary>
/// <c>idempotency-key-expired</c>: 409 on a POST (the key is older than the account admits: this
/// request executed nothing, and whether an earlier one with the key ran can no longer be verified),
/// 410 on a lookup (whether it ran can no longer be verified).
/// </summary>
public sealed record IdempotencyKeyExpiredError(ProblemInfo Problem) : ApiError(Problem);
