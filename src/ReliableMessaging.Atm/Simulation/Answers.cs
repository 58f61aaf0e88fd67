using ReliableMessaging.Client;
using ReliableMessaging.Client.Errors;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>How the checker judges a final answer beyond the client's <see cref="OutcomeKind"/>.</summary>
public static class Answers
{
    /// <summary>409 idempotency-key-expired: refused, never executed. The simulator stays inside the window, so this is unexpected.</summary>
    public static bool IsExpired(OutcomeKind kind, ApiError? error) => kind == OutcomeKind.Rejected && error is IdempotencyKeyExpiredError;

    /// <summary>Any other final rejection (404 account-not-found, 422 key reused, 400...): a bug or a lost account.</summary>
    public static bool IsUnexpected(OutcomeKind kind, ApiError? error) =>
        (kind == OutcomeKind.Rejected && error is not IdempotencyKeyExpiredError) || kind == OutcomeKind.NotExecuted;

    /// <summary>
    /// A transfer whose ID was stamped ahead, refused as from the future (400 idempotency-key-malformed)
    /// by a source whose clock is behind: refused, never executed, which the reconciliation checks.
    /// </summary>
    public static bool IsRefusedAsAhead(TransferEntry entry) =>
        entry.Ahead && entry.Answer is { Kind: OutcomeKind.Rejected, Error: IdempotencyKeyMalformedError };
}
