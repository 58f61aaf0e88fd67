namespace ReliableMessaging.Client.Errors;

/// <summary>503 <c>storage-unavailable</c>: the account could not be saved or loaded; nothing was acknowledged.</summary>
public sealed record StorageUnavailableError(ProblemInfo Problem) : ApiError(Problem);
