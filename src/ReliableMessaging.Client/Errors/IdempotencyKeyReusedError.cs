namespace ReliableMessaging.Client.Errors;

/// <summary>422 <c>idempotency-key-reused</c>: the key was used with another kind, amount or accounts; nothing changed.</summary>
public sealed record IdempotencyKeyReusedError(ProblemInfo Problem) : ApiError(Problem);
