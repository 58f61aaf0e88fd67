using Microsoft.AspNetCore.Http.HttpResults;

namespace ReliableMessaging.Api.Problems;

/// <summary>
/// One kind of RFC 9457 problem the API answers with. Its <c>type</c> ends in a stable code that
/// clients can switch on; the title is fixed per code, the detail explains the instance.
/// </summary>
public sealed record ApiProblem(string Code, int Status, string Title)
{
    /// <summary>Every problem <c>type</c> is this prefix followed by the code.</summary>
    public const string TypePrefix = "urn:reliable-messaging:problem:";

    public static readonly ApiProblem IdempotencyKeyMissing = new("idempotency-key-missing", 400, "The Idempotency-Key header is missing.");
    public static readonly ApiProblem IdempotencyKeyMalformed = new("idempotency-key-malformed", 400, "The Idempotency-Key is not a UUID version 7.");
    public static readonly ApiProblem InvalidAmount = new("invalid-amount", 400, "The amount must be a positive integer number of minor units.");
    public static readonly ApiProblem InvalidAccountId = new("invalid-account-id", 400, "The account ID is not valid.");
    public static readonly ApiProblem InvalidRequest = new("invalid-request", 400, "The request is not valid.");
    public static readonly ApiProblem Unauthorized = new("unauthorized", 401, "A valid bearer token is required.");
    public static readonly ApiProblem Forbidden = new("forbidden", 403, "The token does not allow this request.");
    public static readonly ApiProblem RateLimited = new("rate-limited", 429, "Too many requests from this caller; retry after the time in Retry-After.");
    public static readonly ApiProblem AccountNotFound = new("account-not-found", 404, "The account does not exist.");
    public static readonly ApiProblem TransferNotFound = new("transfer-not-found", 404, "No transfer was accepted with this ID.");
    public static readonly ApiProblem TransferNotConfirmed = new("transfer-not-confirmed", 409, "The transfer ID was received but its debit is not confirmed yet.");
    public static readonly ApiProblem TooManyPendingTransfers = new("too-many-pending-transfers", 429, "The source account has too many transfers in delivery; try again later.");
    public static readonly ApiProblem OperationNotFound = new("operation-not-found", 404, "The account has no record of this operation.");
    public static readonly ApiProblem IdempotencyKeyExpired = new("idempotency-key-expired", 409, "The Idempotency-Key is too old: its outcome can no longer be verified.");
    public static readonly ApiProblem OperationExpired = new("idempotency-key-expired", 410, "The operation is too old: its outcome can no longer be verified.");
    public static readonly ApiProblem RequestTooLarge = new("request-too-large", 413, "The request body is larger than 4 KiB.");
    public static readonly ApiProblem UnsupportedMediaType = new("unsupported-media-type", 415, "The request body must be application/json.");
    public static readonly ApiProblem IdempotencyKeyReused = new("idempotency-key-reused", 422, "The Idempotency-Key was already used with another operation or amount.");
    public static readonly ApiProblem InsufficientFunds = new("insufficient-funds", 422, "The balance does not cover the withdrawal.");
    public static readonly ApiProblem InternalError = new("internal-error", 500, "An unexpected error occurred.");
    public static readonly ApiProblem StorageUnavailable = new("storage-unavailable", 503, "The account's storage is unavailable; nothing was acknowledged.");
    public static readonly ApiProblem ClusterUnavailable = new("cluster-unavailable", 503, "The account service did not answer; the operation may or may not have run.");

    /// <summary>All problems, for the OpenAPI document and the docs.</summary>
    public static IReadOnlyList<ApiProblem> All { get; } =
    [
        IdempotencyKeyMissing, IdempotencyKeyMalformed, InvalidAmount, InvalidAccountId, InvalidRequest,
        AccountNotFound, OperationNotFound, IdempotencyKeyExpired, OperationExpired, RequestTooLarge,
        UnsupportedMediaType, IdempotencyKeyReused, InsufficientFunds, InternalError, StorageUnavailable, ClusterUnavailable,
        TransferNotFound, TooManyPendingTransfers, TransferNotConfirmed, Unauthorized, Forbidden, RateLimited,
    ];

    public string Type => TypePrefix + Code;

    public ProblemHttpResult ToResult(string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: Status, title: Title, type: Type, extensions: extensions);
}
