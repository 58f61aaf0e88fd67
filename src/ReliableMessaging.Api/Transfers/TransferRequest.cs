using System.ComponentModel.DataAnnotations;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Transfers;

/// <summary>The body of <c>POST /transfers</c>: <c>{"from": "alice", "to": "bob", "amount": 1250}</c>.</summary>
/// <param name="From">The source account, debited.</param>
/// <param name="To">The destination account, credited.</param>
/// <param name="Amount">A positive integer number of minor units (cents).</param>
/// <remarks>
/// An empty account ID is bound as given, so the account rules answer it as they answer any
/// malformed ID (<c>invalid-account-id</c>); only a missing or null one is a malformed body.
/// </remarks>
public sealed record TransferRequest(
    [property: Required(AllowEmptyStrings = true, ErrorMessage = "\"from\" is required: the source account ID.")] string From,
    [property: Required(AllowEmptyStrings = true, ErrorMessage = "\"to\" is required: the destination account ID.")] string To,
    [property: Range(typeof(long), "1", "9223372036854775807", ErrorMessage = RequestBodyProblems.AmountRule)] long Amount);
