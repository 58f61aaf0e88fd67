using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>The rate limit on its own (<see cref="RateLimitMiddleware.LimitAsync"/>), with endpoints that fail the way a bug does.</summary>
public sealed class RateLimitMiddlewareTests
{
    [Fact]
    public async Task RequestsEndingInAnException_ChargedLikeAnswers_RefusedPastTheBucket()
    {
        // A request that ends in a 500 cost the service its work (a write, a log with a stack trace);
        // uncharged, a caller could repeat it without limit.
        const int Burst = 2;
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = Burst }));
        var http = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiClaims.Subject, $"failing-{Guid.NewGuid():N}")], "test")),
        };
        var context = http;

        var failures = 0;
        object? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            try
            {
                refused = await limiter.LimitAsync(context, () => throw new InvalidOperationException("a bug in the endpoint"));
            }
            catch (InvalidOperationException)
            {
                failures++;
            }
        }

        var problem = Assert.IsType<ProblemHttpResult>(refused);
        Assert.Equal(StatusCodes.Status429TooManyRequests, problem.StatusCode);
        // The bucket holds Burst and refills one a second while the loop runs.
        Assert.InRange(failures, Burst, Burst + 1);
    }

    [Fact]
    public async Task TokenNamingNoCaller_LimitedInOneSharedBucket_NotUnlimited()
    {
        // A token with none of sub, client_id, azp (an identity provider's client-credentials token):
        // the limit must not fail open on a claim the API does not require.
        const int Burst = 2;
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = Burst }));
        var http = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiClaims.Scope, "accounts:read")], "Bearer")),
        };
        var context = http;

        var answered = 0;
        object? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            var result = await limiter.LimitAsync(context, () => ValueTask.FromResult<object?>("answered"));
            if (result is ProblemHttpResult)
            {
                refused = result;
            }
            else
            {
                answered++;
            }
        }

        Assert.Equal(StatusCodes.Status429TooManyRequests, Assert.IsType<ProblemHttpResult>(refused).StatusCode);
        Assert.InRange(answered, Burst, Burst + 1);
    }

    [Fact]
    public async Task Replays_ChargedToTheirOwnBucket_RefusedPastIt_TheRequestsBucketUntouched()
    {
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = 2, ReplaysPerSecond = 1, ReplayBurst = 5 }));
        var context = new DefaultHttpContext { User = Caller($"replayer-{Guid.NewGuid():N}") };

        // Five replays pass where the requests' bucket holds two: they are not charged to it.
        var replays = await AnsweredUntilRefusedAsync(limiter, context, replay: true);
        Assert.InRange(replays.Answered, 5, 6);
        Assert.Contains("replays", replays.Refusal.ProblemDetails.Detail, StringComparison.Ordinal);

        // A caller whose replay bucket is empty is refused whatever it sends (nobody can tell a replay before its answer).
        var next = await limiter.LimitAsync(context, () => ValueTask.FromResult<object?>("answered"));
        Assert.Equal(StatusCodes.Status429TooManyRequests, Assert.IsType<ProblemHttpResult>(next).StatusCode);
    }

    [Fact]
    public async Task NewRequests_ChargedToTheRequestsBucketOnly_TheReplaysBucketUntouched()
    {
        // A replay bucket smaller than the requests' one: new requests must not spend it.
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = 5, ReplaysPerSecond = 1, ReplayBurst = 2 }));
        var context = new DefaultHttpContext { User = Caller($"writer-{Guid.NewGuid():N}") };

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("answered", await limiter.LimitAsync(context, () => ValueTask.FromResult<object?>("answered")));
        }

        var replays = await AnsweredUntilRefusedAsync(limiter, context, replay: true);
        Assert.InRange(replays.Answered, 2, 3);
        Assert.Contains("replays", replays.Refusal.ProblemDetails.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewRequestsInFlight_MoreThanTheReplayBucketHolds_NoneRefused()
    {
        // Reservations hold the requests' bucket only: a caller's concurrent new requests alone must
        // never be refused as "too many replays".
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = 10, ReplaysPerSecond = 1, ReplayBurst = 2 }));
        var user = Caller($"concurrent-{Guid.NewGuid():N}");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = Enumerable.Range(0, 6)
            .Select(_ => limiter.LimitAsync(new DefaultHttpContext { User = user }, async () =>
            {
                await gate.Task;
                return "answered";
            }).AsTask())
            .ToList();

        gate.SetResult();
        var results = await Task.WhenAll(inFlight);

        Assert.All(results, result => Assert.Equal("answered", result));
    }

    [Fact]
    public async Task ReplaysPerSecondZero_ReplaysUnlimited()
    {
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = 2, ReplaysPerSecond = 0 }));
        var context = new DefaultHttpContext { User = Caller($"unlimited-{Guid.NewGuid():N}") };

        for (var i = 0; i < 50; i++)
        {
            var result = await limiter.LimitAsync(context, () => Replay(context));
            Assert.Equal("replayed", result);
        }
    }

    private static ClaimsPrincipal Caller(string subject) =>
        new(new ClaimsIdentity([new Claim(ApiClaims.Subject, subject)], "test"));

    private static ValueTask<object?> Replay(HttpContext context)
    {
        context.Response.Headers[Accounts.IdempotencyKey.ReplayedHeaderName] = "true";
        return ValueTask.FromResult<object?>("replayed");
    }

    private static async Task<(int Answered, ProblemHttpResult Refusal)> AnsweredUntilRefusedAsync(RateLimitMiddleware limiter, HttpContext context, bool replay)
    {
        for (var answered = 0; answered < 50; answered++)
        {
            context.Response.Headers.Remove(Accounts.IdempotencyKey.ReplayedHeaderName);
            var result = await limiter.LimitAsync(context, replay ? () => Replay(context) : () => ValueTask.FromResult<object?>("answered"));
            if (result is ProblemHttpResult refusal)
            {
                Assert.Equal(StatusCodes.Status429TooManyRequests, refusal.StatusCode);
                return (answered, refusal);
            }
        }

        throw new Xunit.Sdk.XunitException("never refused in 50 requests");
    }
}
