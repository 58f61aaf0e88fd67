using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>A recorded deposit or withdrawal. Built only from the account's record, so a replay is byte-identical.</summary>
/// <param name="OperationId">The Idempotency-Key the operation was sent with.</param>
/// <param name="AccountId">The account.</param>
/// <param name="Kind"><c>deposit</c> or <c>withdrawal</c>.</param>
/// <param name="Amount">The amount asked for, in minor units.</param>
/// <param name="BalanceAfter">The balance right after the operation (unchanged for a refusal).</param>
/// <param name="Status"><c>succeeded</c> or <c>insufficient-funds</c>.</param>
public sealed record OperationResponse(Guid OperationId, string AccountId, string Kind, long Amount, long BalanceAfter, string Status)
{
    public static OperationResponse From(string accountId, OperationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.OperationId, accountId, KindName(result.Kind), result.Amount, result.BalanceAfter ?? 0, StatusName(result.Status));
    }

    public static string KindName(OperationKind kind) => kind switch
    {
        OperationKind.Deposit => "deposit",
        OperationKind.Withdrawal => "withdrawal",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string StatusName(OperationStatus status) => status switch
    {
        OperationStatus.Succeeded => "succeeded",
        OperationStatus.InsufficientFunds => "insufficient-funds",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only recorded outcomes have a response body."),
    };
}
