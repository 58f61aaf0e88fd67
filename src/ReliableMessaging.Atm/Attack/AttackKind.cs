namespace ReliableMessaging.Atm.Attack;

/// <summary>What the attacker tries; each has one documented refusal (see <see cref="Attacker"/>).</summary>
public enum AttackKind
{
    /// <summary>A transfer's derived credit, refund or finish ID as a deposit or withdrawal key, at its destination and its source, before and while the transfer runs: 400 idempotency-key-malformed.</summary>
    DerivedIdAsOperationKey,

    /// <summary>An accepted transfer's own ID as a deposit or withdrawal key at its source: 422 idempotency-key-reused.</summary>
    TransferIdAsOperationKey,

    /// <summary>An accepted transfer's ID for another transfer (other accounts or another amount): 422 idempotency-key-reused.</summary>
    TransferIdForAnotherTransfer,

    /// <summary>An answered deposit's or withdrawal's key as the key of a transfer from the same account: 422 idempotency-key-reused.</summary>
    OperationKeyAsTransferKey,
}
