using System.Globalization;

namespace ReliableMessaging.Client;

/// <summary>
/// One deposit or withdrawal as the caller means it. Its <see cref="OperationId"/> is the
/// Idempotency-Key: every retry, and any later resend of the same intent, carries this key and this
/// body, so the account executes it at most once.
/// </summary>
/// <param name="AccountId">The account.</param>
/// <param name="OperationId">A UUIDv7 (<see cref="Guid.CreateVersion7()"/>), made once per logical operation.</param>
/// <param name="Kind">Deposit or withdrawal.</param>
/// <param name="Amount">Positive, in minor units.</param>
public sealed record OperationRequest(string AccountId, Guid OperationId, OperationKind Kind, long Amount)
{
    /// <summary>A deposit under a fresh key.</summary>
    public static OperationRequest Deposit(string accountId, long amount) => new(accountId, Guid.CreateVersion7(), OperationKind.Deposit, amount);

    /// <summary>A withdrawal under a fresh key.</summary>
    public static OperationRequest Withdrawal(string accountId, long amount) => new(accountId, Guid.CreateVersion7(), OperationKind.Withdrawal, amount);

    /// <summary>The API's name of the kind: <c>deposit</c> or <c>withdrawal</c>.</summary>
    public string KindName => Kind == OperationKind.Deposit ? "deposit" : "withdrawal";

    /// <summary>The signed effect on the balance if it succeeds.</summary>
    public long Effect => Kind == OperationKind.Deposit ? Amount : -Amount;

    internal string Path => $"accounts/{Uri.EscapeDataString(AccountId)}/{(Kind == OperationKind.Deposit ? "deposits" : "withdrawals")}";

    internal string Body => string.Create(CultureInfo.InvariantCulture, $"{{\"amount\":{Amount}}}");
}
