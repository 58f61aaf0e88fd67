namespace ReliableMessaging.Client;

/// <summary>
/// The final outcome of <c>POST /transfers</c> after the client's retries: <see cref="OutcomeKind.Succeeded"/>
/// means accepted (202), the source was debited and delivery goes on. A lookup resolves an unanswered one
/// through <c>GET /transfers/{id}</c>.
/// </summary>
public sealed record TransferOutcome : KeyedOutcome<TransferRequest>
{
    /// <summary>The transfer's current status when accepted.</summary>
    public TransferInfo? Transfer { get; init; }
}
