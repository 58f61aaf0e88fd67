using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;
using ReliableMessaging.Api.Accounts;
using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Api.Tests;

/// <summary>
/// The filter maps only the failures it means to a retryable 503; anything else must reach the
/// exception handler (500 internal-error), never tell a client to retry a bug.
/// </summary>
public sealed class GrainCallFailureFilterTests
{
    public static TheoryData<Exception> ClusterFailures() =>
    [
        new TimeoutException("Response did not arrive on time."),
        new SiloUnavailableException("The silo is gone."),
        new GatewayTooBusyException(),
    ];

    [Theory]
    [MemberData(nameof(ClusterFailures))]
    public async Task Invoke_ClusterFailure_503ClusterUnavailableWithRetryAfter(Exception failure)
    {
        var (result, context) = await InvokeAsync(failure);

        AssertRetryable(result, "cluster-unavailable");
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task Invoke_StorageFailure_503StorageUnavailable()
    {
        var (result, _) = await InvokeAsync(new AccountStorageException("database down"));

        AssertRetryable(result, "storage-unavailable");
    }

    [Fact]
    public async Task Invoke_RequestExpiredBeforePlacement_503ClusterUnavailable()
    {
        var (result, _) = await InvokeAsync(new OperationCanceledException("Message expired before placement could complete for grain account/a."));

        AssertRetryable(result, "cluster-unavailable");
    }

    [Fact]
    public async Task Invoke_CancelledBecauseTheCallerWentAway_NotMappedToRetryableAnswer()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };
        var cancelled = new OperationCanceledException(aborted.Token);

        var thrown = await Assert.ThrowsAsync<OperationCanceledException>(() => InvokeAsync(cancelled, context));

        Assert.Same(cancelled, thrown);
    }

    [Theory]
    [InlineData(typeof(ArgumentOutOfRangeException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(NullReferenceException))]
    public async Task Invoke_UnexpectedException_NotMappedToRetryableAnswer(Type exceptionType)
    {
        var bug = (Exception)Activator.CreateInstance(exceptionType)!;

        var thrown = await Assert.ThrowsAsync(exceptionType, () => InvokeAsync(bug));

        Assert.Same(bug, thrown);
    }

    /// <summary>The filter answered a 503 problem with the given stable code: "retry, it may or may not have run".</summary>
    private static void AssertRetryable(object? result, string code)
    {
        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Equal(503, problem.StatusCode);
        Assert.EndsWith(code, problem.ProblemDetails.Type, StringComparison.Ordinal);
    }

    private static async Task<(object? Result, HttpContext Context)> InvokeAsync(Exception failure, HttpContext? context = null)
    {
        context ??= new DefaultHttpContext();
        var filter = new GrainCallFailureFilter(NullLogger<GrainCallFailureFilter>.Instance);
        var result = await filter.InvokeAsync(
            EndpointFilterInvocationContext.Create(context),
            _ => ValueTask.FromException<object?>(failure));
        return (result, context);
    }
}
