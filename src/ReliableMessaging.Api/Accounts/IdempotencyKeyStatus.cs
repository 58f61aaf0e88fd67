namespace ReliableMessaging.Api.Accounts;

/// <summary>What the Idempotency-Key header of a request holds.</summary>
public enum IdempotencyKeyStatus
{
    Valid,
    Missing,
    Malformed,
}
