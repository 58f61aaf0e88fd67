namespace ReliableMessaging.Client.Errors;

/// <summary>404 <c>account-not-found</c>: the account was never opened.</summary>
public sealed record AccountNotFoundError(ProblemInfo Problem) : ApiError(Problem);
