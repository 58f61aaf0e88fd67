namespace ReliableMessaging.Grains.Accounts;

/// <summary>What the source does with the destination's answer to a transfer's credit.</summary>
public enum CreditVerdict
{
    /// <summary>Credited (first time or replay): the transfer is completed.</summary>
    Credited,

    /// <summary>Time may fix the refusal (a clock ahead, a full outbox): deliver again later, never final.</summary>
    Retry,

    /// <summary>Refused for good; the credit was certainly not applied under its ID: refund the source once.</summary>
    Refund,

    /// <summary>
    /// The destination cannot tell whether the credit landed (its record may be gone): neither
    /// completed nor refunded; it stays pending, overdue, for an operator.
    /// </summary>
    Hold,

    /// <summary>
    /// A status this version does not know (a newer destination's, during a rolling upgrade): whether
    /// the credit landed cannot be told, so it is held like <see cref="Hold"/>, logged as an error and
    /// sent again each retry period (a later answer may be one this version knows). The account's
    /// other transfers are delivered meanwhile. Not for an operator to resolve: unlike "expired", it
    /// does not say the credit can no longer land, so a refund could pay twice; the upgrade's end settles it.
    /// </summary>
    Unrecognized,
}
