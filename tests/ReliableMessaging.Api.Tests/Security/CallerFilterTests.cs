using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>The front end's caller filters on their own, without a cluster.</summary>
public sealed class CallerFilterTests
{
    [Fact]
    public async Task CallerIdentity_SubjectReachesTheGrainCallsThroughRequestContext()
    {
        var filter = new CallerIdentityFilter(NullLoggerFactory.Instance);
        object? seenByGrainCall = null;

        await filter.InvokeAsync(Invocation(Principal(("sub", "alice"))), _ =>
        {
            seenByGrainCall = RequestContext.Get(CallerIdentityFilter.IssuedByKey);
            return ValueTask.FromResult<object?>(null);
        });

        Assert.Equal("alice", seenByGrainCall);
    }

    [Fact]
    public async Task CallerIdentity_ClientCredentialsTokenWithoutSubject_ClientIdIsTheCaller()
    {
        var filter = new CallerIdentityFilter(NullLoggerFactory.Instance);
        object? seenByGrainCall = null;

        await filter.InvokeAsync(Invocation(Principal(("client_id", "atm-fleet-7"), ("azp", "ignored"))), _ =>
        {
            seenByGrainCall = RequestContext.Get(CallerIdentityFilter.IssuedByKey);
            return ValueTask.FromResult<object?>(null);
        });

        Assert.Equal("atm-fleet-7", seenByGrainCall);
    }

    [Fact]
    public async Task RateLimit_EmptyBucket_429UntilRefilled_PerCaller()
    {
        using var limiter = new RateLimitMiddleware(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = 2 }));
        var calls = 0;
        ValueTask<object?> Next()
        {
            calls++;
            return ValueTask.FromResult<object?>("answered");
        }

        var answers = new List<object?>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await limiter.LimitAsync(new DefaultHttpContext { User = Principal(("sub", "bob")) }, Next));
        }

        var other = await limiter.LimitAsync(new DefaultHttpContext { User = Principal(("sub", "carol")) }, Next);

        Assert.Equal("answered", answers[0]);
        Assert.Equal("answered", answers[1]);
        Assert.Equal(429, Assert.IsAssignableFrom<IStatusCodeHttpResult>(answers[2]).StatusCode);
        Assert.Equal("answered", other);
        Assert.Equal(3, calls);

        // One permit a second: bob is answered again once the bucket has refilled (polled; a slow host only waits longer).
        var refilling = Stopwatch.StartNew();
        object? again;
        do
        {
            await Task.Delay(100);
            again = await limiter.LimitAsync(new DefaultHttpContext { User = Principal(("sub", "bob")) }, Next);
        }
        while (again is not "answered" && refilling.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal("answered", again);
        Assert.Equal(4, calls);
    }

    private static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(claim => new Claim(claim.Type, claim.Value)), "Bearer"));

    private static DefaultEndpointFilterInvocationContext Invocation(ClaimsPrincipal user) =>
        new(new DefaultHttpContext { User = user });
}
