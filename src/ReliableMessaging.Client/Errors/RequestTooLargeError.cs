namespace ReliableMessaging.Client.Errors;

/// <summary>413 <c>request-too-large</c>: the body is over 4 KiB.</summary>
public sealed record RequestTooLargeError(ProblemInfo Problem) : ApiError(Problem);
