namespace ReliableMessaging.Client;

/// <summary>How a keyed operation or transfer ended for the caller.</summary>
public enum OutcomeKind
{
    /// <summary>Applied (for a transfer: accepted, the source debited). Recorded: every retry gets the same.</summary>
    Succeeded,

    /// <summary>Refused for lack of funds. Recorded: stays refused on every retry, even after a deposit.</summary>
    InsufficientFunds,

    /// <summary>
    /// A final error answer (see <c>Error</c>): this call executed nothing. For
    /// <c>IdempotencyKeyExpiredError</c>, whether an earlier request with the same key ran can no longer be verified.
    /// When <c>Error.IsVerdict</c> is false (401, 403, an unknown code) the service refused the call before
    /// reading the account's record: it says nothing about an earlier send of the same request (this client
    /// looks that up itself within one call, and on a resend of the same request object in this process,
    /// but cannot know of a send by another process); then keep the request and settle it by a lookup once
    /// the credentials work.
    /// </summary>
    Rejected,

    /// <summary>
    /// No answer within the attempts, and the lookup found no record: it had not run when asked. Not a
    /// refusal: an attempt still on its way could still run it (and a transfer refused for lack of funds
    /// is reported so too). Settle it by sending the same request again (same key): it runs at most once,
    /// and the answer is its outcome.
    /// </summary>
    NotExecuted,

    /// <summary>No answer within the attempts and no verdict from the lookup: it may or may not have run. Resend with the same key, or look it up later.</summary>
    Unanswered,
}
