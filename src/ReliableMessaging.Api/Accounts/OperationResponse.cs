using System.Text.Json.Serialization;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>A recorded operation. Built only from the account's record, so a replay is byte-identical.</summary>
/// <param name="OperationId">The Idempotency-Key the operation was sent with (for transfer legs: the ID the account recorded it under).</param>
/// <param name="AccountId">The account.</param>
/// <param name="Kind"><c>deposit</c>, <c>withdrawal</c>, or a transfer leg: <c>transfer-out</c>, <c>transfer-in</c>, <c>transfer-refund</c>.</param>
/// <param name="Amount">The amount asked for, in minor units.</param>
/// <param name="BalanceAfter">The balance right after the operation (unchanged for a refusal).</param>
/// <param name="Status"><c>succeeded</c> or <c>insufficient-funds</c>.</param>
/// <param name="Transfer">For the debit of an outgoing transfer: where its delivery status is (<c>/transfers/{id}</c>).</param>
/// <param name="IssuedBy">Who issued it, on look-ups: the caller's own subject, <c>another-caller</c> for someone else's (unless the token grants every account), <c>operator</c> for an operator's resolution; POST answers and their replays leave it out.</param>
public sealed record OperationResponse(
    Guid OperationId,
    string AccountId,
    string Kind,
    long Amount,
    long BalanceAfter,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Transfer = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? IssuedBy = null)
{
    public static OperationResponse From(string accountId, OperationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.OperationId, accountId, KindName(result.Kind), result.Amount, result.BalanceAfter ?? 0, StatusName(result.Status),
            // Only an accepted transfer has a delivery status to show; one refused for funds answers 404 there.
            result is { Kind: OperationKind.TransferOut, Status: OperationStatus.Succeeded } ? $"/transfers/{result.OperationId}" : null);
    }

    public static string KindName(OperationKind kind) => kind switch
    {
        OperationKind.Deposit => "deposit",
        OperationKind.Withdrawal => "withdrawal",
        OperationKind.TransferOut => "transfer-out",
        OperationKind.TransferIn => "transfer-in",
        OperationKind.TransferRefund => "transfer-refund",
        OperationKind.TransferFinished => "transfer-finished",
    };

    public static string StatusName(OperationStatus status) => status switch
    {
        OperationStatus.Succeeded => "succeeded",
        OperationStatus.InsufficientFunds => "insufficient-funds",
        // Refusals that are never recorded are answered as problems, never with this body.
        OperationStatus.AccountNotFound or OperationStatus.InvalidAmount or OperationStatus.InvalidOperationId
            or OperationStatus.OperationIdReused or OperationStatus.OperationExpired or OperationStatus.OperationIdFromFuture
            or OperationStatus.InvalidAccountId or OperationStatus.TooManyPendingTransfers or OperationStatus.TransferToSelf =>
            throw new ArgumentOutOfRangeException(nameof(status), status, "Only recorded outcomes have a response body."),
    };
}
