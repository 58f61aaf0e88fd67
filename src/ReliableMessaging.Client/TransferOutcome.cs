using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Client;

/// <summary>The final outcome of <c>POST /transfers</c> after the client's retries.</summary>
/// <param name="Kind"><see cref="OutcomeKind.Succeeded"/> means accepted (202): the source was debited and delivery goes on.</param>
/// <param name="Request">What was sent (its key included, for a resend).</param>
/// <param name="Transfer">The transfer's current status when accepted.</param>
/// <param name="IsReplay">The answer came from the record of an earlier acceptance or refusal.</param>
/// <param name="ResolvedByLookup">The POST got no answer; the outcome comes from <c>GET /transfers/{id}</c>.</param>
/// <param name="Attempts">HTTP attempts of the POST.</param>
/// <param name="StatusCode">The final HTTP status (0 when unanswered).</param>
/// <param name="Body">The final response body.</param>
/// <param name="Error">The typed error of a rejection, an insufficient-funds answer, or the last transient error of an unanswered one.</param>
/// <param name="Detail">One line for logs.</param>
public sealed record TransferOutcome(
    OutcomeKind Kind,
    TransferRequest Request,
    TransferInfo? Transfer,
    bool IsReplay,
    bool ResolvedByLookup,
    int Attempts,
    int StatusCode,
    string Body,
    ApiError? Error,
    string Detail)
{
    /// <summary>Accepted, or refused for funds: either is recorded and replayed.</summary>
    public bool IsAcknowledged => Kind is OutcomeKind.Succeeded or OutcomeKind.InsufficientFunds;
}
