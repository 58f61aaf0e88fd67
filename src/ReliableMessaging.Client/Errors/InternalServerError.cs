namespace ReliableMessaging.Client.Errors;

/// <summary>500 <c>internal-error</c>: an unexpected error in the service.</summary>
public sealed record InternalServerError(ProblemInfo Problem) : ApiError(Problem);
