namespace ReliableMessaging.Client.Errors;

/// <summary>415 <c>unsupported-media-type</c>: the body is not application/json.</summary>
public sealed record UnsupportedMediaTypeError(ProblemInfo Problem) : ApiError(Problem);
