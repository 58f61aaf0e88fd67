using Microsoft.AspNetCore.Http.HttpResults;
using ReliableMessaging.Api.Problems;
using ReliableMessaging.Contracts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// The <c>Idempotency-Key</c> request header (draft-ietf-httpapi-idempotency-key-header): a UUIDv7,
/// either bare or as a structured-field string (<c>"0190..."</c>). The key is the operation ID.
/// Endpoints bind it with <c>[FromHeader(Name = IdempotencyKey.HeaderName)] string?</c> and read it
/// with <see cref="Read"/>, so a missing and a malformed key keep their own codes.
/// </summary>
public static class IdempotencyKey
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Set to <c>true</c> on an answer that replays a recorded outcome.</summary>
    public const string ReplayedHeaderName = "Idempotent-Replayed";

    /// <summary>The operation ID the bound header holds, or the problem to answer instead.</summary>
    public static ProblemHttpResult? Read(string? header, out Guid operationId) => TryRead(header, out operationId) switch
    {
        IdempotencyKeyStatus.Valid => null,
        IdempotencyKeyStatus.Missing => ApiProblem.IdempotencyKeyMissing.ToResult(
            $"Send a fresh UUIDv7 in the {HeaderName} header, and the same one on every retry."),
        IdempotencyKeyStatus.Malformed => ApiProblem.IdempotencyKeyMalformed.ToResult(
            $"{HeaderName} must be one UUID version 7, bare or as a structured-field string."),
    };

    private static IdempotencyKeyStatus TryRead(string? header, out Guid operationId)
    {
        operationId = Guid.Empty;
        if (string.IsNullOrWhiteSpace(header))
        {
            return IdempotencyKeyStatus.Missing;
        }

        // Two keys on one request are ambiguous: the binder joins them ("a,b"), which is no UUID,
        // so they are refused rather than one of them picked.
        var value = header.Trim(' ', '\t');
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        return Uuid7.TryParse(value, out operationId) ? IdempotencyKeyStatus.Valid : IdempotencyKeyStatus.Malformed;
    }
}
