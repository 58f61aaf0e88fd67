using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>The rate-limit filter on its own, with endpoints that fail the way a bug does.</summary>
public sealed class RateLimitFilterTests
{
    [Fact]
    public async Task RequestsEndingInAnException_ChargedLikeAnswers_RefusedPastTheBucket()
    {
        // A request that ends in a 500 cost the service its work (a write, a log with a stack trace);
        // uncharged, a caller could repeat it without limit.
        const int Burst = 2;
        using var filter = new RateLimitFilter(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = Burst }));
        var http = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiClaims.Subject, $"failing-{Guid.NewGuid():N}")], "test")),
        };
        var context = EndpointFilterInvocationContext.Create(http);

        var failures = 0;
        object? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            try
            {
                refused = await filter.InvokeAsync(context, _ => throw new InvalidOperationException("a bug in the endpoint"));
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
        using var filter = new RateLimitFilter(Options.Create(new RateLimitOptions { PermitsPerSecond = 1, Burst = Burst }));
        var http = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ApiClaims.Scope, "accounts:read")], "Bearer")),
        };
        var context = EndpointFilterInvocationContext.Create(http);

        var answered = 0;
        object? refused = null;
        for (var i = 0; i < 10 && refused is null; i++)
        {
            var result = await filter.InvokeAsync(context, _ => ValueTask.FromResult<object?>("answered"));
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
}
