namespace ReliableMessaging.Client;

/// <summary>Which call an attempt belongs to.</summary>
public enum RequestKind
{
    OpenAccount,
    GetAccount,
    Operation,
    Transfer,
    GetOperation,
    GetTransfer,
}
