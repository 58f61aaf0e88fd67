using Microsoft.AspNetCore.Http.HttpResults;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Accounts;

/// <summary>The problems shared by every POST: a missing or malformed key, and a body that cannot be read.</summary>
internal static class RequestProblems
{
    public static ProblemHttpResult? ForKey(IdempotencyKeyStatus status) => status switch
    {
        IdempotencyKeyStatus.Missing => ApiProblem.IdempotencyKeyMissing.ToResult(
            $"Send a fresh UUIDv7 in the {IdempotencyKey.HeaderName} header, and the same one on every retry."),
        IdempotencyKeyStatus.Malformed => ApiProblem.IdempotencyKeyMalformed.ToResult(
            $"{IdempotencyKey.HeaderName} must be one UUID version 7, bare or as a structured-field string."),
        _ => null,
    };

    public static ProblemHttpResult? ForBody(AmountRequestStatus status, string detail) => status switch
    {
        AmountRequestStatus.TooLarge => ApiProblem.RequestTooLarge.ToResult(detail),
        AmountRequestStatus.UnsupportedMediaType => ApiProblem.UnsupportedMediaType.ToResult(detail),
        AmountRequestStatus.InvalidJson => ApiProblem.InvalidRequest.ToResult(detail),
        AmountRequestStatus.InvalidAmount => ApiProblem.InvalidAmount.ToResult(detail),
        _ => null,
    };
}
