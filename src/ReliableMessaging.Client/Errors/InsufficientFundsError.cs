namespace ReliableMessaging.Client.Errors;

/// <summary>422 <c>insufficient-funds</c>: the refusal is recorded and replayed on every retry.</summary>
/// <param name="Problem">The answer.</param>
/// <param name="Balance">The balance that did not cover it, when the answer says.</param>
public sealed record InsufficientFundsError(ProblemInfo Problem, long? Balance) : ApiError(Problem);
