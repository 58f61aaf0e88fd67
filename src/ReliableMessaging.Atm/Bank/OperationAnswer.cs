namespace ReliableMessaging.Atm.Bank;

/// <summary>The final answer to an operation after its retries.</summary>
/// <param name="Kind">How it ended.</param>
/// <param name="BalanceAfter">The balance the answer reports (after a success, or the refusing balance).</param>
/// <param name="Replayed">The answer carried <c>Idempotent-Replayed: true</c>.</param>
/// <param name="Attempts">HTTP attempts it took.</param>
/// <param name="StatusCode">The final HTTP status (0 when unanswered).</param>
/// <param name="Body">The final response body, to compare with a deliberate duplicate.</param>
/// <param name="Detail">What went wrong, for reports.</param>
public sealed record OperationAnswer(AnswerKind Kind, long? BalanceAfter, bool Replayed, int Attempts, int StatusCode, string Body, string Detail)
{
    public bool IsAcknowledged => Kind is AnswerKind.Succeeded or AnswerKind.InsufficientFunds;
}
