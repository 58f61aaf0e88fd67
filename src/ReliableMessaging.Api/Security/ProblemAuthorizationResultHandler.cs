using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using ReliableMessaging.Api.Problems;

namespace ReliableMessaging.Api.Security;

/// <summary>
/// Bearer refusals as RFC 9457 problems: 401 <c>unauthorized</c> after the bearer challenge (which
/// sets <c>WWW-Authenticate: Bearer</c>), 403 <c>forbidden</c> naming the missing scope. Policies of
/// other schemes (the dashboard's Basic) keep the framework's behaviour.
/// </summary>
internal sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        var bearer = policy.AuthenticationSchemes.Count == 0
            || policy.AuthenticationSchemes.Contains(JwtBearerDefaults.AuthenticationScheme);
        if (!bearer || authorizeResult.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        if (authorizeResult.Challenged)
        {
            await context.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme);
            await ApiProblem.Unauthorized.ToResult("A valid bearer token is required (Authorization: Bearer <token>).").ExecuteAsync(context);
            return;
        }

        await context.ForbidAsync(JwtBearerDefaults.AuthenticationScheme);
        var missing = policy.Requirements.OfType<ScopeRequirement>().Select(requirement => requirement.Scope).FirstOrDefault();
        await ApiProblem.Forbidden.ToResult(missing is null
            ? "This token may not make this request."
            : $"This token lacks the scope '{missing}' that this request needs.").ExecuteAsync(context);
    }
}
