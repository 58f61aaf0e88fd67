namespace ReliableMessaging.Contracts.Transfers;

/// <summary>
/// The IDs under which the accounts record a transfer's later steps, derived from the transfer's ID
/// (<see cref="Uuid7.Derive"/>): the same on every retry, and out of reach of clients. Persisted in
/// the journal: never change a purpose.
/// </summary>
public static class TransferRecordIds
{
    /// <summary>Derives the ID under which a transfer's credit is delivered to the destination.</summary>
    public const string CreditPurpose = "transfer-credit";

    /// <summary>Derives the ID under which a refused transfer is refunded to the source.</summary>
    public const string RefundPurpose = "transfer-refund";

    /// <summary>Derives the ID under which the source records that a transfer finished.</summary>
    public const string FinishedPurpose = "transfer-finished";

    /// <summary>The credit's ID at the destination.</summary>
    public static Guid Credit(Guid transferId) => Uuid7.Derive(transferId, CreditPurpose);

    /// <summary>The refund's ID at the source.</summary>
    public static Guid Refund(Guid transferId) => Uuid7.Derive(transferId, RefundPurpose);

    /// <summary>The ID of the source's record that says how the transfer finished.</summary>
    public static Guid Finished(Guid transferId) => Uuid7.Derive(transferId, FinishedPurpose);
}
