namespace ReliableMessaging.Client.Errors;

/// <summary>429 <c>too-many-pending-transfers</c>: the source has too many transfers in delivery; nothing happened.</summary>
public sealed record TooManyPendingTransfersError(ProblemInfo Problem) : ApiError(Problem);
