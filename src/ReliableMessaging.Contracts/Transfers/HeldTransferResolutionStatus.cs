namespace ReliableMessaging.Contracts.Transfers;

/// <summary>What became of an operator's resolution of a held transfer.</summary>
[GenerateSerializer, Alias("rm.HeldTransferResolutionStatus")]
public enum HeldTransferResolutionStatus : byte
{
    /// <summary>The destination still cannot tell whether the credit landed: the transfer ended as the operator said.</summary>
    Resolved = 0,

    /// <summary>The account has no such transfer pending (finished already, or never started here): nothing changed.</summary>
    NotPending = 1,

    /// <summary>
    /// The destination answered the credit otherwise when asked now (credited it, or refused it for
    /// a reason that proves it did not land): the transfer is not held, and its delivery settles it.
    /// </summary>
    NotHeld = 2,

    /// <summary>The outcome asked for is neither completed nor refunded: nothing changed.</summary>
    InvalidOutcome = 3,

    /// <summary>
    /// No reason was given, or it (or the operator's name) is too long or holds control characters:
    /// nothing changed. The reason is recorded with the resolution.
    /// </summary>
    InvalidReason = 4,
}
