using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Api.Transfers;

/// <summary>A transfer's current status: <c>pending</c>, <c>completed</c>, <c>refunded</c> or <c>stuck</c>.</summary>
public sealed record TransferResponse(Guid TransferId, string From, string To, long Amount, string Status, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    public static TransferResponse FromResult(TransferResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.TransferId, result.From, result.To, result.Amount, StatusName(result.State), result.CreatedAt, result.FinishedAt);
    }

    private static string StatusName(TransferState? state) => state switch
    {
        TransferState.Pending => "pending",
        TransferState.Completed => "completed",
        TransferState.Refunded => "refunded",
        TransferState.Stuck => "stuck",
        null => throw new ArgumentOutOfRangeException(nameof(state), state, "Only accepted transfers have a status body."),
    };
}
