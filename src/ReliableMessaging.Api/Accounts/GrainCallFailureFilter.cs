using Orleans.Runtime.Messaging;
using ReliableMessaging.Api.Problems;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// Turns the failures of a call to the cluster that it means (storage errors, Orleans response
/// timeouts, silos or gateways that cannot be reached) into 503 problems with Retry-After. Each of
/// them is safe to retry with the same Idempotency-Key: the account executes an operation at most
/// once. Anything else is a bug: it is not caught here, so the exception handler answers 500
/// <c>internal-error</c> (not retryable) and logs it, instead of sending clients into endless retries.
/// </summary>
internal sealed partial class GrainCallFailureFilter(ILogger<GrainCallFailureFilter> logger) : IEndpointFilter
{
    private const string RetryAfterSeconds = "1";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context);
        }
        catch (Exception exception) when (AccountStorageException.Find(exception) is { } storage)
        {
            LogStorageUnavailable(logger, context.HttpContext.Request.Path, storage.Message);
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return ApiProblem.StorageUnavailable.ToResult(
                storage.IsConflict
                    ? "The account was changed concurrently; nothing was acknowledged. Retry with the same Idempotency-Key."
                    : "The account could not be saved or loaded; nothing was acknowledged. Retry with the same Idempotency-Key.");
        }
        catch (Exception exception) when (IsClusterUnavailable(exception) || IsExpiredByTheRuntime(exception, context.HttpContext))
        {
            LogClusterUnavailable(logger, context.HttpContext.Request.Path, exception.GetType().Name, exception.Message);
            LogClusterUnavailableDetail(logger, exception, context.HttpContext.Request.Path);
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return ApiProblem.ClusterUnavailable.ToResult(
                "The account service did not answer in time. The operation may or may not have run: retry with the same Idempotency-Key to get its outcome.");
        }
    }

    /// <summary>
    /// The transport-level failures of a grain call: no answer within the response timeout, a silo
    /// that died or is shutting down (message rejected, forwarding failed), a gateway that is
    /// unreachable, too busy, or a client not yet connected.
    /// </summary>
    internal static bool IsClusterUnavailable(Exception exception) => exception is
        TimeoutException
        or OrleansMessageRejectionException
        or GatewayTooBusyException
        or ClientNotAvailableException
        or ConnectionFailedException
        or Orleans.Networking.Shared.SocketConnectionException;

    /// <summary>
    /// Orleans cancels a request whose message expired before it could even be placed ("Message expired
    /// before placement could complete"): placement waited on a silo that stopped answering or died. A
    /// timeout like any other. The front end passes no cancellation token to grain calls, and no grain
    /// of this project lets a cancellation reach its caller (the journal's become
    /// <see cref="AccountStorageException"/>), so one that reaches a handler is the runtime's; a caller
    /// that went away is excluded, so an abandoned request is not logged as an outage. (It cannot be
    /// told apart by time: the chaos run saw this expiry before the front end's response timeout had
    /// passed since the request began.)
    /// </summary>
    internal static bool IsExpiredByTheRuntime(Exception exception, HttpContext context) =>
        exception is OperationCanceledException && !context.RequestAborted.IsCancellationRequested;

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Storage unavailable for {Path}: {Reason}")]
    private static partial void LogStorageUnavailable(ILogger logger, PathString path, string reason);

    // Without the stack trace: one per request while a silo is unreachable. The exception itself at Debug,
    // for the day one of them is not the runtime's.
    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Cluster call failed for {Path}: {Failure}: {Reason}")]
    private static partial void LogClusterUnavailable(ILogger logger, PathString path, string failure, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Cluster call failed for {Path}")]
    private static partial void LogClusterUnavailableDetail(ILogger logger, Exception exception, PathString path);
}
