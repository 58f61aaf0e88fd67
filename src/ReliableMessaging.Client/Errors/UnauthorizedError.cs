namespace ReliableMessaging.Client.Errors;

/// <summary>401 <c>unauthorized</c>: no bearer token, or not a valid one (signature, issuer, audience, expired); nothing happened.</summary>
public sealed record UnauthorizedError(ProblemInfo Problem) : ApiError(Problem);
