namespace ReliableMessaging.Client;

/// <summary>What a money operation does to the account.</summary>
public enum OperationKind
{
    Deposit,
    Withdrawal,
}
