namespace ReliableMessaging.Client.Errors;

/// <summary>403 <c>forbidden</c>: the token lacks the scope, or is not granted the account; nothing happened.</summary>
public sealed record ForbiddenError(ProblemInfo Problem) : ApiError(Problem);
