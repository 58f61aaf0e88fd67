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
}
