using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ReliableMessaging.Api.Problems;

/// <summary>
/// Which stable code a request body that failed binding or validation gets. One rule for every
/// operation: a problem with the <c>amount</c> member is <c>invalid-amount</c> (missing, not an
/// integer, out of range, not positive); anything else about the body (not one JSON object, a
/// member given twice, a missing or mistyped account ID) is <c>invalid-request</c>.
/// </summary>
internal static class RequestBodyProblems
{
    public const string AmountRule = "\"amount\" must be a positive integer number of minor units (at most 9223372036854775807).";

    private const string AmountMember = "amount";

    /// <summary>A body System.Text.Json refused while binding it.</summary>
    public static ProblemHttpResult ForJson(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var member = TopLevelMember(exception.Path);

        // System.Text.Json reports a duplicated member (AllowDuplicateProperties = false) as a plain
        // JsonException at that member's path: its message is the only thing that tells it apart from
        // a value of the wrong type. Two readers of one body must never see two amounts, so a
        // duplicated "amount" is a malformed body, not a bad amount (tested).
        if (exception.Message.StartsWith("Duplicate property", StringComparison.Ordinal))
        {
            return ApiProblem.InvalidRequest.ToResult($"The body names \"{member}\" more than once.");
        }

        if (IsAmount(member))
        {
            return ApiProblem.InvalidAmount.ToResult(AmountRule);
        }

        return ApiProblem.InvalidRequest.ToResult(member is null
            ? "The body must be one JSON object of this operation's shape (see /openapi/v1.json)."
            : $"The body's \"{member}\" is not valid for this operation (see /openapi/v1.json).");
    }

    /// <summary>A body that was bound but broke its record's validation attributes.</summary>
    public static ApiProblem ForInvalidMembers(IEnumerable<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var invalid = members.ToList();
        return invalid.Count > 0 && invalid.TrueForAll(IsAmount) ? ApiProblem.InvalidAmount : ApiProblem.InvalidRequest;
    }

    private static bool IsAmount(string? member) => string.Equals(member, AmountMember, StringComparison.OrdinalIgnoreCase);

    /// <summary>"amount" for <c>$.amount</c> or <c>$.amount.x</c>; null for the root <c>$</c>.</summary>
    private static string? TopLevelMember(string? path) =>
        path is ['$', '.', .. var rest] ? rest.Split('.', '[')[0] : null;
}
