namespace ReliableMessaging.Client;

/// <summary>
/// The final outcome of a deposit or withdrawal after the client's retries; a lookup resolves an
/// unanswered one through <c>GET /accounts/{id}/operations/{operationId}</c>.
/// </summary>
public sealed record OperationOutcome : KeyedOutcome<OperationRequest>
{
    /// <summary>The balance right after it, or the balance that refused it.</summary>
    public long? BalanceAfter { get; init; }
}
