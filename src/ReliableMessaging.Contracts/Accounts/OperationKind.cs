namespace ReliableMessaging.Contracts.Accounts;

/// <summary>What a state-changing operation does. Persisted: never renumber a member.</summary>
[GenerateSerializer, Alias("rm.OperationKind")]
public enum OperationKind : byte
{
    Deposit = 1,
    Withdrawal = 2,

    /// <summary>The debit of an outgoing transfer, recorded under the transfer ID.</summary>
    TransferOut = 3,

    /// <summary>The credit of an incoming transfer, recorded under an ID derived from the transfer ID.</summary>
    TransferIn = 4,

    /// <summary>The refund of an outgoing transfer the destination refused, under an ID derived from the transfer ID.</summary>
    TransferRefund = 5,

    /// <summary>
    /// An event of an outgoing transfer: it finished (completed, refunded or stuck). Moves no money
    /// (a refund is its own <see cref="TransferRefund"/> record); recorded under an ID derived from the transfer ID.
    /// </summary>
    TransferFinished = 6,
}
