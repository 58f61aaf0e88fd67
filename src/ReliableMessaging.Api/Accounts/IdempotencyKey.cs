using Microsoft.Extensions.Primitives;
using ReliableMessaging.Contracts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// The <c>Idempotency-Key</c> request header (draft-ietf-httpapi-idempotency-key-header): a UUIDv7,
/// either bare or as a structured-field string (<c>"0190..."</c>). The key is the operation ID.
/// </summary>
public static class IdempotencyKey
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Set to <c>true</c> on an answer that replays a recorded outcome.</summary>
    public const string ReplayedHeaderName = "Idempotent-Replayed";

    public static IdempotencyKeyStatus TryRead(StringValues header, out Guid operationId)
    {
        operationId = Guid.Empty;
        if (header.Count == 0 || (header.Count == 1 && string.IsNullOrWhiteSpace(header[0])))
        {
            return IdempotencyKeyStatus.Missing;
        }

        // Two keys on one request are ambiguous: refuse rather than pick one.
        if (header.Count > 1)
        {
            return IdempotencyKeyStatus.Malformed;
        }

        var value = header[0]!.Trim(' ', '\t');
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        return Uuid7.TryParse(value, out operationId) ? IdempotencyKeyStatus.Valid : IdempotencyKeyStatus.Malformed;
    }
}
