namespace ReliableMessaging.Client.Errors;

/// <summary>404 <c>transfer-not-found</c>: no transfer was accepted with this ID.</summary>
public sealed record TransferNotFoundError(ProblemInfo Problem) : ApiError(Problem);
