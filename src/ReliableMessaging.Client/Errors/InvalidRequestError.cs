namespace ReliableMessaging.Client.Errors;

/// <summary>400 <c>invalid-request</c>: the body is not valid (e.g. a transfer to the same account).</summary>
public sealed record InvalidRequestError(ProblemInfo Problem) : ApiError(Problem);
