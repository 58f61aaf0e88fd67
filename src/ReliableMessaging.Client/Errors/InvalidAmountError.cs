namespace ReliableMessaging.Client.Errors;

/// <summary>400 <c>invalid-amount</c>: not a positive integer, or a deposit that would overflow the balance.</summary>
public sealed record InvalidAmountError(ProblemInfo Problem) : ApiError(Problem);
