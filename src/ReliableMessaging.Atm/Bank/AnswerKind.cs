namespace ReliableMessaging.Atm.Bank;

/// <summary>How an operation ended for the ATM.</summary>
public enum AnswerKind
{
    /// <summary>200: applied (acknowledged).</summary>
    Succeeded,

    /// <summary>422 insufficient-funds: refused and recorded (acknowledged).</summary>
    InsufficientFunds,

    /// <summary>409 idempotency-key-expired: refused, never executed. The simulator stays inside the window, so this is unexpected.</summary>
    Expired,

    /// <summary>Any other final answer (404 account-not-found, 422 key reused, 400...): a bug or a lost account.</summary>
    Unexpected,

    /// <summary>No answer within the bounded attempts: resolved later through the operations endpoint.</summary>
    Unanswered,
}
