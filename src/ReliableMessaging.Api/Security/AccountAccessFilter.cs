using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Applied to the whole <c>/accounts/{accountId}</c> group, so every endpoint there (and any added
/// later) refuses an account the token is not granted (claim <c>rm_accounts</c>) with 403 before
/// anything reaches the grain. A token without that claim may use no account; <c>"*"</c> grants them all.
/// An endpoint added to the group without <c>{accountId}</c> (a search, a list) cannot be checked
/// account by account: only a token granted every account may use it.
/// </summary>
internal sealed class AccountAccessFilter : IEndpointFilter
{
    public const string RouteValueName = "accountId";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (http.Request.RouteValues.TryGetValue(RouteValueName, out var value) && value is string accountId)
        {
            if (!ApiClaims.MayAccess(http.User, accountId))
            {
                return Forbidden(accountId);
            }
        }
        else if (ApiClaims.GrantedAccounts(http.User) is not null)
        {
            return ApiProblem.Forbidden.ToResult("This endpoint names no account: only a token granted every account may use it.");
        }

        return await next(context);
    }

    public static IResult Forbidden(string accountId) =>
        ApiProblem.Forbidden.ToResult($"This token is not granted account '{Truncate(accountId)}'.");

    private static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "...";
}
