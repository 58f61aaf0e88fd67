namespace ReliableMessaging.Grains.Accounts;

/// <summary>What an activation knows of its durable delivery reminder.</summary>
public enum DeliveryReminderState
{
    /// <summary>Not known (a new activation, or a change that failed or timed out): a start registers it again.</summary>
    Unknown,

    /// <summary>Registered by this activation and not removed since.</summary>
    Registered,

    /// <summary>Removed by this activation, and nothing has needed it since.</summary>
    Absent,
}
