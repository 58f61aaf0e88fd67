namespace ReliableMessaging.Client.Errors;

/// <summary>503 <c>cluster-unavailable</c>: the service did not answer in time; the operation may or may not have run.</summary>
public sealed record ClusterUnavailableError(ProblemInfo Problem) : ApiError(Problem);
