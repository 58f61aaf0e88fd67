using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Atm.Bank;

/// <summary>One deposit or withdrawal as the ATM means it: every retry sends exactly this key and body.</summary>
public sealed record OperationIntent(string AccountId, Guid OperationId, OperationKind Kind, long Amount)
{
    public string KindName => Kind == OperationKind.Deposit ? "deposit" : "withdrawal";

    public string Path => $"accounts/{AccountId}/{(Kind == OperationKind.Deposit ? "deposits" : "withdrawals")}";

    /// <summary>The signed effect on the balance if it succeeds.</summary>
    public long Effect => Kind == OperationKind.Deposit ? Amount : -Amount;
}
