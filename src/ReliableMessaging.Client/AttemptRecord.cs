namespace ReliableMessaging.Client;

/// <summary>One HTTP attempt, for <see cref="IReliableMessagingObserver"/>.</summary>
/// <param name="Request">The call it belongs to.</param>
/// <param name="Attempt">1 for the first attempt, 2 for the first retry...</param>
/// <param name="Result">How it ended.</param>
/// <param name="StatusCode">The HTTP status, 0 when there was none.</param>
/// <param name="ProblemCode">The problem code of an error answer.</param>
/// <param name="Replayed">The answer carried <c>Idempotent-Replayed: true</c>.</param>
public sealed record AttemptRecord(RequestKind Request, int Attempt, AttemptResult Result, int StatusCode, string? ProblemCode, bool Replayed);
