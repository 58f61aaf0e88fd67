using ReliableMessaging.Api.Problems;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Api.Accounts;

/// <summary>
/// Turns failures of the call to the cluster into 503 problems with Retry-After. Every such failure
/// is safe to retry with the same Idempotency-Key: the account executes an operation at most once.
/// Request validation happens before the grain call, so nothing else reaches this filter as an error.
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
        catch (Exception exception) when (exception is not OperationCanceledException || !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // Timeouts, placement and messaging failures, and runtime errors that do not even serialize
            // (e.g. a resilience-pipeline timeout): whatever failed, the account executes an operation
            // at most once, so the honest answer is "unknown outcome, retry with the same key".
            LogClusterUnavailable(logger, exception, context.HttpContext.Request.Path);
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return ApiProblem.ClusterUnavailable.ToResult(
                "The account service did not answer in time. The operation may or may not have run: retry with the same Idempotency-Key to get its outcome.");
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Storage unavailable for {Path}: {Reason}")]
    private static partial void LogStorageUnavailable(ILogger logger, PathString path, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Cluster call failed for {Path}")]
    private static partial void LogClusterUnavailable(ILogger logger, Exception exception, PathString path);
}
