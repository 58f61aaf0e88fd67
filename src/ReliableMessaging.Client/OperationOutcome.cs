using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>The final outcome of a deposit or withdrawal after the client's retries.</summary>
/// <param name="Kind">How it ended.</param>
/// <param name="Request">What was sent (its key included, for a resend).</param>
/// <param name="BalanceAfter">The balance right after it, or the balance that refused it.</param>
/// <param name="IsReplay">The answer came from the account's record of an earlier execution (<c>Idempotent-Replayed</c>, or resolved by a lookup).</param>
/// <param name="ResolvedByLookup">The POST got no answer; the outcome comes from <c>GET /accounts/{id}/operations/{operationId}</c>.</param>
/// <param name="Attempts">HTTP attempts of the POST.</param>
/// <param name="StatusCode">The final HTTP status (0 when unanswered).</param>
/// <param name="Body">The final response body, byte for byte what a replay repeats.</param>
/// <param name="Error">The typed error of a rejection, an insufficient-funds answer, or the last transient error of an unanswered one.</param>
/// <param name="Detail">One line for logs.</param>
public sealed record OperationOutcome(
    OutcomeKind Kind,
    OperationRequest Request,
    long? BalanceAfter,
    bool IsReplay,
    bool ResolvedByLookup,
    int Attempts,
    int StatusCode,
    string Body,
    ApiError? Error,
    string Detail)
{
    /// <summary>The account recorded an outcome and answered it (applied or refused for funds).</summary>
    public bool IsAcknowledged => Kind is OutcomeKind.Succeeded or OutcomeKind.InsufficientFunds;
}
