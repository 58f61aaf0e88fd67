using System.Text.Json;

namespace ReliableMessaging.Client.Errors;

/// <summary>
/// A typed error: one subtype per problem code of the API (see <see cref="FromResponse"/>), a
/// <see cref="UnknownApiError"/> for codes this client does not know, and
/// <see cref="UnexpectedResponseError"/> for answers that make no sense.
/// </summary>
public abstract record ApiError(ProblemInfo Problem)
{
    /// <summary>Every problem <c>type</c> of the API is this prefix followed by the code.</summary>
    public const string TypePrefix = "urn:reliable-messaging:problem:";

    private static readonly Dictionary<string, Func<ProblemInfo, JsonElement?, ApiError>> Known = new(StringComparer.Ordinal)
    {
        ["idempotency-key-missing"] = (problem, _) => new IdempotencyKeyMissingError(problem),
        ["idempotency-key-malformed"] = (problem, _) => new IdempotencyKeyMalformedError(problem),
        ["idempotency-key-expired"] = (problem, _) => new IdempotencyKeyExpiredError(problem),
        ["idempotency-key-reused"] = (problem, _) => new IdempotencyKeyReusedError(problem),
        ["invalid-amount"] = (problem, _) => new InvalidAmountError(problem),
        ["invalid-account-id"] = (problem, _) => new InvalidAccountIdError(problem),
        ["invalid-request"] = (problem, _) => new InvalidRequestError(problem),
        ["account-not-found"] = (problem, _) => new AccountNotFoundError(problem),
        ["operation-not-found"] = (problem, _) => new OperationNotFoundError(problem),
        ["transfer-not-found"] = (problem, _) => new TransferNotFoundError(problem),
        ["transfer-not-confirmed"] = (problem, _) => new TransferNotConfirmedError(problem),
        ["insufficient-funds"] = (problem, root) => new InsufficientFundsError(problem, ReadInt64(root, "balance")),
        ["too-many-pending-transfers"] = (problem, _) => new TooManyPendingTransfersError(problem),
        ["request-too-large"] = (problem, _) => new RequestTooLargeError(problem),
        ["unsupported-media-type"] = (problem, _) => new UnsupportedMediaTypeError(problem),
        ["internal-error"] = (problem, _) => new InternalServerError(problem),
        ["storage-unavailable"] = (problem, _) => new StorageUnavailableError(problem),
        ["cluster-unavailable"] = (problem, _) => new ClusterUnavailableError(problem),
        ["unauthorized"] = (problem, _) => new UnauthorizedError(problem),
        ["forbidden"] = (problem, _) => new ForbiddenError(problem),
        ["rate-limited"] = (problem, _) => new RateLimitedError(problem),
    };

    /// <summary>The stable problem code.</summary>
    public string Code => Problem.Code;

    /// <summary>The HTTP status code.</summary>
    public int Status => Problem.Status;

    /// <summary>What went wrong, for people: the problem's detail, else its title, else the code.</summary>
    public string Message => Problem.Detail ?? Problem.Title ?? Problem.Code;

    /// <summary>
    /// True when the same request may succeed later: 408, 429, 502, 503 and 504 (the client retries these
    /// itself, with the same key), and <see cref="TransferNotConfirmedError"/> (ask again later). A 500 is
    /// the service's error, never a request to retry: the client stops and looks the outcome up instead.
    /// </summary>
    public virtual bool IsTransient => IsRetryableStatus(Status);

    /// <summary>
    /// True when the service decided this answer from the request or the account's record, so a repeat
    /// of the same request (same key) gets the same answer: it says what the key did. False for answers
    /// that say nothing about the work (401, 403, an unknown code, an unreadable answer, any 5xx): after
    /// an attempt that may have run the request, such an answer is no verdict, and the client looks the
    /// outcome up instead of reporting a rejection.
    /// </summary>
    public virtual bool IsVerdict => Status is >= 400 and < 500 and not (401 or 403 or 408 or 429);

    /// <summary>The statuses the client retries (at most <c>MaxAttempts</c> times in all).</summary>
    public static bool IsRetryableStatus(int status) => status is 408 or 429 or 502 or 503 or 504;

    /// <summary>The typed error for an answer with this status, body and Retry-After (when it had one); never throws.</summary>
    public static ApiError FromResponse(int status, string body, TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            // Not JSON (an HTML page from a proxy, an empty body): an error all the same.
        }

        using (document)
        {
            var root = document?.RootElement is { ValueKind: JsonValueKind.Object } element ? element : (JsonElement?)null;
            var type = ReadString(root, "type");
            var code = type is not null && type.StartsWith(TypePrefix, StringComparison.Ordinal) ? type[TypePrefix.Length..] : null;
            var problem = new ProblemInfo(status, code ?? $"http-{status}", ReadString(root, "title"), ReadString(root, "detail"), body) { RetryAfter = retryAfter };
            return code is not null && Known.TryGetValue(code, out var create) ? create(problem, root) : new UnknownApiError(problem);
        }
    }

    /// <summary>The codes this client maps to their own types.</summary>
    public static IReadOnlyCollection<string> KnownCodes => Known.Keys;

    public sealed override string ToString() => $"{Status} {Code}: {Message}";

    private static string? ReadString(JsonElement? root, string name)
    {
        if (root?.TryGetProperty(name, out var value) != true || value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // The parser accepts an escaped lone surrogate ("\uDC00") and only unescaping refuses it: a
            // hostile or broken answer, read as if the field were absent.
            return null;
        }
    }

    private static long? ReadInt64(JsonElement? root, string name) =>
        root?.TryGetProperty(name, out var value) == true && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;
}
