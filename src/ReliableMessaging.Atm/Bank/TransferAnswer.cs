namespace ReliableMessaging.Atm.Bank;

/// <summary>The final answer to <c>POST /transfers</c> after its retries.</summary>
/// <param name="Kind"><see cref="AnswerKind.Succeeded"/> means 202 Accepted (the source was debited).</param>
/// <param name="Status">The transfer status in a 202 body (pending, completed, refunded, stuck).</param>
/// <param name="Replayed">The answer carried <c>Idempotent-Replayed: true</c>.</param>
/// <param name="Attempts">HTTP attempts it took.</param>
/// <param name="StatusCode">The final HTTP status (0 when unanswered).</param>
/// <param name="Body">The final response body.</param>
/// <param name="Detail">What went wrong, for reports.</param>
public sealed record TransferAnswer(AnswerKind Kind, string? Status, bool Replayed, int Attempts, int StatusCode, string Body, string Detail)
{
    public bool IsAcknowledged => Kind is AnswerKind.Succeeded or AnswerKind.InsufficientFunds;
}
