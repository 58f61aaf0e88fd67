using ReliableMessaging.Client;
using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>How the checker judges a final answer beyond the client's <see cref="OutcomeKind"/>.</summary>
public static class Answers
{
    /// <summary>409 idempotency-key-expired: refused, never executed. The simulator stays inside the window, so this is unexpected.</summary>
    public static bool IsExpired(OutcomeKind kind, ApiError? error) => kind == OutcomeKind.Rejected && error is IdempotencyKeyExpiredError;

    /// <summary>
    /// Any other final rejection (404 account-not-found, 422 key reused, 400...): a bug or a lost account;
    /// and an answer that is not this request's (a 200 with another operation's record, an unreadable 2xx),
    /// which the client reports as unanswered because it settles nothing, but which no fault of the run
    /// produces: the service answered the wrong thing.
    /// </summary>
    public static bool IsUnexpected(OutcomeKind kind, ApiError? error) =>
        (kind == OutcomeKind.Rejected && error is not IdempotencyKeyExpiredError) || kind == OutcomeKind.NotExecuted || IsNotThisRequests(kind, error);

    /// <summary>No answer at all: no verdict either way (an answer that is not this request's is one, see <see cref="IsNotThisRequests"/>).</summary>
    public static bool IsNoAnswer(OutcomeKind kind, ApiError? error) => kind == OutcomeKind.Unanswered && !IsNotThisRequests(kind, error);

    /// <summary>A request sent again was answered exactly as the first time (status and body), marked a replay.</summary>
    public static bool IsSameReplay(OperationOutcome first, OperationOutcome again) =>
        again.StatusCode == first.StatusCode && again.Body == first.Body && again.IsReplay;

    /// <summary>An answer that arrived but is not this request's (see <see cref="IsUnexpected"/>); "unanswered" only to the client.</summary>
    public static bool IsNotThisRequests(OutcomeKind kind, ApiError? error) => kind == OutcomeKind.Unanswered && error is UnexpectedResponseError;

    /// <summary>
    /// A transfer whose ID was stamped ahead, refused as from the future (400 idempotency-key-malformed)
    /// by a source whose clock is behind: refused, never executed, which the reconciliation checks.
    /// </summary>
    public static bool IsRefusedAsAhead(TransferEntry entry) =>
        entry.Ahead && entry.Answer is { Kind: OutcomeKind.Rejected, Error: IdempotencyKeyMalformedError };
}
