namespace ReliableMessaging.Client.Errors;

/// <summary>404 <c>operation-not-found</c>: the account has no record of the operation: it has not run (so far).</summary>
public sealed record OperationNotFoundError(ProblemInfo Problem) : ApiError(Problem);
