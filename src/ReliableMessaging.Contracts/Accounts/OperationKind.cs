namespace ReliableMessaging.Contracts.Accounts;

/// <summary>What a state-changing operation does. Persisted: never renumber a member.</summary>
public enum OperationKind : byte
{
    Deposit = 1,
    Withdrawal = 2,
}
