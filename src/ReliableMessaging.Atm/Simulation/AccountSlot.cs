namespace ReliableMessaging.Atm.Simulation;

/// <summary>An account one ATM is using: how many operations it has issued on it, and the last balance it was told.</summary>
public sealed class AccountSlot(string accountId)
{
    public string AccountId { get; } = accountId;

    public int Operations { get; set; }

    public long KnownBalance { get; set; }
}
