namespace ReliableMessaging.Client;

/// <summary>A deposit or withdrawal as the account recorded it.</summary>
/// <param name="OperationId">Its key.</param>
/// <param name="AccountId">The account.</param>
/// <param name="Kind">Deposit or withdrawal.</param>
/// <param name="Amount">The amount asked for.</param>
/// <param name="BalanceAfter">The balance right after it (unchanged for a refusal).</param>
/// <param name="Succeeded">True when applied, false when refused for insufficient funds.</param>
public sealed record RecordedOperation(Guid OperationId, string AccountId, OperationKind Kind, long Amount, long BalanceAfter, bool Succeeded);
