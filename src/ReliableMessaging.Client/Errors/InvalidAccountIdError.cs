namespace ReliableMessaging.Client.Errors;

/// <summary>400 <c>invalid-account-id</c>: not 1 to 64 characters of <c>[A-Za-z0-9_.-]</c> (other than <c>.</c> and <c>..</c>).</summary>
public sealed record InvalidAccountIdError(ProblemInfo Problem) : ApiError(Problem);
