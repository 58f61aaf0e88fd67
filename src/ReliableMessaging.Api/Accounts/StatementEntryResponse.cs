using System.Security.Claims;
using System.Text.Json.Serialization;
using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;

namespace ReliableMessaging.Api.Accounts;

/// <summary>One line of an account's statement.</summary>
/// <param name="Sequence">The account's order of execution (1, 2, 3, ... without gaps): the statement's cursor.</param>
/// <param name="OperationId">The ID the operation was recorded under.</param>
/// <param name="Kind"><c>deposit</c>, <c>withdrawal</c>, <c>transfer-out</c>, <c>transfer-in</c>, <c>transfer-refund</c> or <c>transfer-finished</c>.</param>
/// <param name="Amount">Minor units.</param>
/// <param name="Status"><c>succeeded</c> or <c>insufficient-funds</c> (a recorded refusal moves no money).</param>
/// <param name="BalanceAfter">The balance right after it.</param>
/// <param name="Counterparty">For transfer records: the other account.</param>
/// <param name="Transfer">For <c>transfer-finished</c>: how the transfer ended.</param>
/// <param name="RecordedAt">When the account recorded it.</param>
/// <param name="IssuedBy">Who issued it, when known: the caller's own subject, <c>another-caller</c> for someone else's (unless the token grants every account), <c>operator</c> for an operator's resolution of a held transfer.</param>
public sealed record StatementEntryResponse(
    long Sequence,
    Guid OperationId,
    string Kind,
    long Amount,
    string Status,
    long BalanceAfter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Counterparty,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Transfer,
    DateTimeOffset RecordedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? IssuedBy)
{
    /// <summary>The entry as <paramref name="user"/> reads it (<see cref="IssuerVisibility"/>).</summary>
    public static StatementEntryResponse From(StatementEntry entry, ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Sequence, entry.OperationId, OperationResponse.KindName(entry.Kind), entry.Amount, OperationResponse.StatusName(entry.Status),
            entry.BalanceAfter, entry.Counterparty, entry.Transfer is { } state ? TransferStateName(state) : null, entry.RecordedAt,
            IssuerVisibility.ShownTo(user, entry.Kind, entry.IssuedBy));
    }

    public static string TransferStateName(TransferState state) => state switch
    {
        TransferState.Pending => "pending",
        TransferState.Completed => "completed",
        TransferState.Refunded => "refunded",
        TransferState.Stuck => "stuck",
    };
}
