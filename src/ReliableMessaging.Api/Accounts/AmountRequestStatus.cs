namespace ReliableMessaging.Api.Accounts;

/// <summary>What reading a deposit or withdrawal body found.</summary>
public enum AmountRequestStatus
{
    Valid,
    TooLarge,
    UnsupportedMediaType,
    InvalidJson,
    InvalidAmount,
}
