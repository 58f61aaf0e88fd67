using System.ComponentModel.DataAnnotations;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Accounts;

/// <summary>The body of a deposit or withdrawal: <c>{"amount": 1250}</c> in minor units.</summary>
/// <param name="Amount">A positive integer number of minor units (cents).</param>
public sealed record AmountRequest(
    [property: Range(typeof(long), "1", "9223372036854775807", ErrorMessage = RequestBodyProblems.AmountRule)] long Amount);
