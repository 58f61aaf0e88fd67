using Microsoft.AspNetCore.Http;
using System.Security.Claims;
using ReliableMessaging.Api.Security;

namespace ReliableMessaging.Api.Tests.Security;

/// <summary>
/// The account check on the whole <c>/accounts</c> group, for endpoints added later too: one without
/// <c>{accountId}</c> (a search, a list) cannot be checked account by account, so only a token granted
/// every account passes (it used to let any token through).
/// </summary>
public sealed class AccountAccessFilterTests
{
    [Theory]
    [InlineData("alice", null, StatusCodes.Status403Forbidden)]
    [InlineData(null, null, StatusCodes.Status403Forbidden)]
    [InlineData("*", null, StatusCodes.Status200OK)]
    [InlineData("alice", "alice", StatusCodes.Status200OK)]
    [InlineData("alice", "bob", StatusCodes.Status403Forbidden)]
    [InlineData("*", "bob", StatusCodes.Status200OK)]
    // '*' grants every account only as a whole value: inside one ("alice *", a mapper copying what a
    // user typed) it is no account ID and no grant.
    [InlineData("alice *", "bob", StatusCodes.Status403Forbidden)]
    [InlineData("alice *", "alice", StatusCodes.Status200OK)]
    [InlineData("* alice", "bob", StatusCodes.Status403Forbidden)]
    [InlineData(" * ", "bob", StatusCodes.Status200OK)]
    public async Task Endpoint_WithOrWithoutAnAccountInItsRoute_OnlyGrantedTokensPass(string? granted, string? routeAccount, int expected)
    {
        var http = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity(
                granted is null ? [] : [new Claim(ApiClaims.Accounts, granted)], authenticationType: "Bearer")),
        };
        if (routeAccount is not null)
        {
            http.Request.RouteValues[AccountAccessFilter.RouteValueName] = routeAccount;
        }

        var result = await new AccountAccessFilter().InvokeAsync(
            new DefaultEndpointFilterInvocationContext(http),
            _ => ValueTask.FromResult<object?>(TypedResults.Ok()));

        Assert.Equal(expected, Assert.IsAssignableFrom<IStatusCodeHttpResult>(result).StatusCode);
    }
}
